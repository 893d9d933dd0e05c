"""Sealer admission applied to dumps: DCAP evidence verified and admitted by the policy file,
simulated evidence only with allow_simulated, and a freeze that takes effect without a restart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcap_synth import MRENCLAVE, T0, World, root_cert
from dump_helpers import make_council, seal_bytes, write

from council.attestation.binding import expected_report_data_prefix
from council.attestation.policy import PolicyFile
from council.attestation.policy_file import write_policy
from council.attestation.policy_model import AdmissionRefused, Freeze, Policy, SgxAllow
from dumps.admission import SealerAdmission
from dumps.header import Evidence
from dumps.sealer import SealingIdentity
from dumps.verify import verify_dump


def _dcap_sealer() -> tuple[SealingIdentity, World]:
    world = World()
    key = Ed25519PrivateKey.generate()
    pub = SealingIdentity.simulated(key).public_key
    world = replace(world, report_data=expected_report_data_prefix(pub) + bytes(32))
    return SealingIdentity(key, Evidence("sgx-dcap", world.quote_bytes())), world


def _setup(tmp_path: Path, policy: Policy, sealer: SealingIdentity, world: World | None = None):
    policy_path = tmp_path / "policy.json"
    write_policy(policy_path, policy)
    collateral = world.write_collateral(tmp_path / "collateral") if world else None
    dump = write(tmp_path, "state.kcd", seal_bytes(make_council(), b"state" * 100, sealer=sealer)[0])
    return dump, SealerAdmission(PolicyFile(policy_path), collateral, root_cert(), T0), policy_path


def test_a_dcap_sealer_with_an_allow_listed_measurement_is_admitted(tmp_path: Path) -> None:
    sealer, world = _dcap_sealer()
    dump, admission, _ = _setup(tmp_path, Policy(sgx=(SgxAllow(MRENCLAVE),)), sealer, world)
    verified = verify_dump(dump, admission)
    assert verified.evidence_status == "admitted"


def test_measurement_not_allow_listed_is_refused_with_the_reason(tmp_path: Path) -> None:
    sealer, world = _dcap_sealer()
    dump, admission, _ = _setup(tmp_path, Policy(sgx=(SgxAllow(b"\x01" * 32),)), sealer, world)
    with pytest.raises(AdmissionRefused, match="MRENCLAVE is not allow-listed"):
        verify_dump(dump, admission)


def test_a_quote_binding_another_key_is_refused(tmp_path: Path) -> None:
    sealer, world = _dcap_sealer()
    other = SealingIdentity(Ed25519PrivateKey.generate(), sealer.evidence)  # same quote, other key
    dump, admission, _ = _setup(tmp_path, Policy(sgx=(SgxAllow(MRENCLAVE),)), other, world)
    with pytest.raises(AdmissionRefused, match="report data does not bind the sealer public key"):
        verify_dump(dump, admission)


def test_freeze_takes_effect_by_editing_the_file_without_a_restart(tmp_path: Path) -> None:
    sealer, world = _dcap_sealer()
    dump, admission, policy_path = _setup(tmp_path, Policy(sgx=(SgxAllow(MRENCLAVE),)), sealer, world)
    verify_dump(dump, admission)
    admission.policy_file.update(lambda p: replace(p, freeze=Freeze(None, "TCB recovery")))
    with pytest.raises(AdmissionRefused, match="admissions are frozen"):
        verify_dump(dump, admission)  # the same object: no reload, no restart
    assert json.loads(policy_path.read_text())


def test_simulated_sealers_only_with_allow_simulated(tmp_path: Path) -> None:
    dump, admission, _ = _setup(tmp_path, Policy(), SealingIdentity.simulated())
    with pytest.raises(AdmissionRefused, match="allow_simulated = false"):
        verify_dump(dump, admission)
    admission.policy_file.update(lambda p: replace(p, allow_simulated=True))
    assert "INSECURE" in verify_dump(dump, admission).evidence_status


def test_dump_verify_policy_cli_exit_codes(tmp_path: Path) -> None:
    from cli.dump import dump as dump_group

    sealer = SealingIdentity.simulated()
    dump, _, policy_path = _setup(tmp_path, Policy(), sealer)
    refused = CliRunner().invoke(dump_group, ["verify", str(dump), "--policy", str(policy_path)])
    assert refused.exit_code != 0 and "allow_simulated" in str(refused.exception or refused.output)
    write_policy(policy_path, Policy(allow_simulated=True))
    ok = CliRunner().invoke(dump_group, ["verify", str(dump), "--policy", str(policy_path)])
    assert ok.exit_code == 0, ok.output
    assert "authentic" in ok.output
