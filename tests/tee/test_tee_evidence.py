"""Real sealer evidence from the platform: configfs-tsm (TDX) and Gramine /dev/attestation (SGX).

Each interface is a directory laid out like the real one, with its platform side played by
tee_doubles.py (see its docstring for why). The platform answers either (a) a real Intel quote
from tests/vectors/dcap (a copy of /work/shared/dcap), whose report data binds some other key, or
(b) a synthetic quote (dcap_synth.py) over exactly the report data it was asked for. The verifier
and the admission policy must admit (b) and refuse (a) at the binding step.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcap_synth import MRENCLAVE, MRTD, RTMRS, T0, World, root_cert
from dcap_vectors import Vector, vector
from dump_helpers import make_council, seal_bytes, write
from hypothesis import given
from hypothesis import strategies as st
from tee_doubles import GramineSide, TsmKernel, layout_gramine, serve_quote_fifo

from council.attestation.binding import check_binding
from council.attestation.collateral import load_collateral
from council.attestation.errors import BindingMismatch
from council.attestation.policy import PolicyFile
from council.attestation.policy_file import write_policy
from council.attestation.policy_model import AdmissionRefused, Policy, SgxAllow, TdxAllow
from council.attestation.quote import TdReport, parse_quote
from council.attestation.verify import verify_quote
from dumps.admission import SealerAdmission
from dumps.evidence import key_binding
from dumps.header import Evidence
from dumps.sealer import SealingIdentity
from dumps.tee.configfs_tsm import parse_generation
from dumps.tee.errors import ConcurrentReportWrite, NoTeeInterface, TeeInterfaceError
from dumps.tee.identity import new_tee_identity, obtain_evidence
from dumps.tee.provider import EvidenceProvider, provider_for, report_data_for
from dumps.tee.pseudofs import OsPseudoFiles
from dumps.verify import verify_dump

pytestmark = pytest.mark.timeout(60)

REAL = {"tdx": "q02", "sgx": "q01"}  # q02: TDX v4 UpToDate; q01: SGX v3
CLI = [sys.executable, "-c", "from cli.main import main; main()"]
NO_INTERFACE = ("this platform has no configfs-tsm report interface ({tsm}) and no Gramine {att}; "
                "run inside a TDX guest or a Gramine SGX enclave, or use --simulated for "
                "development (INSECURE)")


def synthetic(tee: str) -> World:
    return World(tee="tdx", version=4) if tee == "tdx" else World()


def platform(tmp_path: Path, tee: str, answer: object, **kw: object) -> tuple[EvidenceProvider, object]:
    """A provider for `tee` on a fake interface whose platform side answers with `answer(rd)`."""
    tsm, att = tmp_path / "tsm" / "report", tmp_path / "attestation"
    double = (TsmKernel(tsm, answer, **kw) if tee == "tdx"  # type: ignore[arg-type]
              else GramineSide(att, answer, **kw))  # type: ignore[arg-type]
    return provider_for(tee, tsm, att, double), double


def synthetic_answer(tee: str):
    return lambda report_data: replace(synthetic(tee), report_data=report_data).quote_bytes()


def measured_policy(tee: str, real: Vector | None = None) -> Policy:
    """Allow exactly the measurement of the synthetic world, or of the real vector's quote."""
    if real is None:
        return Policy(sgx=(SgxAllow(MRENCLAVE),)) if tee == "sgx" else Policy(tdx=(TdxAllow(MRTD, RTMRS),))
    body = parse_quote(real.quote).body
    status = (str(real.expected["tcb_status"]),)
    if isinstance(body, TdReport):
        return Policy(tdx=(TdxAllow(body.mr_td, body.rtmrs),), accepted_tcb_statuses=status)
    return Policy(sgx=(SgxAllow(body.mr_enclave),), accepted_tcb_statuses=status)


def admission(tmp_path: Path, policy: Policy, collateral: Path, root: object, at: object) -> SealerAdmission:
    write_policy(tmp_path / "policy.json", policy)
    return SealerAdmission(PolicyFile(tmp_path / "policy.json"), collateral, root, at)  # type: ignore[arg-type]


# ---- (b) a quote over our report data is admitted ----------------------------------------------

@pytest.mark.parametrize("tee", ["tdx", "sgx"])
def test_a_quote_binding_the_new_key_is_admitted(tee: str, tmp_path: Path) -> None:
    provider, double = platform(tmp_path, tee, synthetic_answer(tee))
    identity, quote = new_tee_identity(provider)
    assert identity.evidence.type == f"{tee}-dcap" and quote.tee == tee
    asked = report_data_for(identity.public_key)
    assert asked == key_binding(identity.public_key) + bytes(32)
    assert quote.body.report_data == asked
    if tee == "tdx":  # one private entry, removed afterwards; the kernel saw exactly our inblob
        assert len(double.entries) == 1 and double.inblobs == [asked]
        assert list((tmp_path / "tsm" / "report").iterdir()) == []
    else:
        assert double.report_data == [asked]
    collateral = synthetic(tee).write_collateral(tmp_path / "collateral")
    verified = verify_quote(identity.evidence.data, load_collateral(collateral), T0, root_cert())
    check_binding(verified, identity.public_key)
    checker = admission(tmp_path, measured_policy(tee), collateral, root_cert(), T0)
    decision = checker.decide(identity.evidence, identity.public_key)
    assert decision.admitted, decision.reasons
    identity.save(tmp_path / "signer")  # the dump carries the evidence; readers admit it
    loaded = SealingIdentity.load(tmp_path / "signer")
    assert loaded.evidence == identity.evidence
    dump = write(tmp_path, "state.kcd", seal_bytes(make_council(), b"state" * 64, sealer=loaded)[0])
    assert verify_dump(dump, checker).evidence_status == "admitted"


# ---- (a) a real quote over someone else's report data is refused at the binding step -----------

@pytest.mark.parametrize("tee", ["tdx", "sgx"])
def test_a_real_quote_not_binding_the_key_is_refused_at_the_binding_step(tee: str, tmp_path: Path) -> None:
    real = vector(REAL[tee])
    provider, _ = platform(tmp_path, tee, lambda report_data: real.quote)
    key = Ed25519PrivateKey.generate()
    public = SealingIdentity.simulated(key).public_key
    raw = provider.quote(report_data_for(public))  # what a careless sealer would keep
    assert raw == real.quote
    verified = verify_quote(raw, load_collateral(real.collateral), real.at)  # pinned Intel root
    with pytest.raises(BindingMismatch) as caught:  # every other step passes
        check_binding(verified, public)
    assert caught.value.step == "binding" and str(caught.value).startswith("binding: report data")
    evidence = Evidence(f"{tee}-dcap", raw)
    checker = admission(tmp_path, measured_policy(tee, real), real.collateral, None, real.at)
    decision = checker.decide(evidence, public)
    assert not decision.admitted
    assert decision.reasons == ("report data does not bind the sealer public key",)
    sealer = SealingIdentity(key, evidence)
    dump = write(tmp_path, "state.kcd", seal_bytes(make_council(), b"state" * 64, sealer=sealer)[0])
    with pytest.raises(AdmissionRefused, match="report data does not bind the sealer public key"):
        verify_dump(dump, checker)
    with pytest.raises(TeeInterfaceError, match="not the one written.*does not bind the new signing key"):
        obtain_evidence(provider, public)  # and `signer new` would not keep it


def test_dump_verify_cli_refuses_a_real_quote_bound_to_another_key(tmp_path: Path) -> None:
    from cli.dump import dump as dump_cli

    real = vector(REAL["tdx"])
    sealer = SealingIdentity(Ed25519PrivateKey.generate(), Evidence("tdx-dcap", real.quote))
    dump = write(tmp_path, "state.kcd", seal_bytes(make_council(), b"state", sealer=sealer)[0])
    write_policy(tmp_path / "policy.json", measured_policy("tdx", real))
    result = CliRunner().invoke(dump_cli, ["verify", str(dump), "--policy", str(tmp_path / "policy.json"),
                                           "--collateral", str(real.collateral), "--at",
                                           str(real.expected["at"])])
    assert result.exit_code != 0
    assert "report data does not bind the sealer public key" in str(result.exception)


# ---- the interfaces' own rules ------------------------------------------------------------------

def test_configfs_tsm_detects_a_concurrent_writer_and_cleans_up(tmp_path: Path) -> None:
    provider, double = platform(tmp_path, "tdx", synthetic_answer("tdx"), meddle=True)
    with pytest.raises(ConcurrentReportWrite, match="generation went from 0 to 2"):
        new_tee_identity(provider)
    assert list((tmp_path / "tsm" / "report").iterdir()) == []


def test_configfs_tsm_refuses_another_tsm_format(tmp_path: Path) -> None:
    provider, _ = platform(tmp_path, "tdx", lambda rd: b"\x02" * 1184, provider="sev_guest")
    with pytest.raises(TeeInterfaceError, match="'sev_guest' \\(SEV-SNP attestation report\\)"):
        new_tee_identity(provider)


def test_a_platform_answer_that_is_not_a_quote_is_refused(tmp_path: Path) -> None:
    provider, _ = platform(tmp_path, "sgx", lambda rd: b"not a quote")
    with pytest.raises(TeeInterfaceError, match="11 bytes that are not a DCAP quote.*parse_quote"):
        new_tee_identity(provider)


def test_a_quote_of_the_other_tee_is_refused(tmp_path: Path) -> None:
    provider, _ = platform(tmp_path, "tdx", synthetic_answer("sgx"))
    with pytest.raises(TeeInterfaceError, match="returned a sgx quote, not tdx"):
        new_tee_identity(provider)


@pytest.mark.parametrize("kind", ["epid", "none"])
def test_gramine_needs_dcap_attestation(kind: str, tmp_path: Path) -> None:
    provider, _ = platform(tmp_path, "sgx", synthetic_answer("sgx"), attestation_type=kind)
    with pytest.raises(TeeInterfaceError, match=f"'{kind}'.*sgx.remote_attestation = \"dcap\""):
        new_tee_identity(provider)


def test_a_missing_pseudo_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "attestation").mkdir()  # a folder, but not Gramine's
    provider = provider_for("sgx", tmp_path / "none", tmp_path / "attestation")
    with pytest.raises(TeeInterfaceError, match="attestation_type for reading: No such file"):
        new_tee_identity(provider)


def test_reads_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(bytes(1000))
    assert OsPseudoFiles().read(tmp_path / "big", 1000) == bytes(1000)
    with pytest.raises(TeeInterfaceError, match="more than 999 bytes"):
        OsPseudoFiles().read(tmp_path / "big", 999)


@given(st.binary(max_size=40))
def test_generation_parser_returns_a_counter_or_a_clear_error(raw: bytes) -> None:
    try:
        value = parse_generation(raw, Path("generation"))
    except TeeInterfaceError as exc:
        assert "expected a decimal counter" in str(exc)
    else:
        assert value >= 0 and str(value) == raw.decode().strip().lstrip("0").rjust(1, "0")


def test_platform_detection_names_the_interface_that_is_there(tmp_path: Path) -> None:
    (tmp_path / "attestation").mkdir()
    with pytest.raises(NoTeeInterface, match="--tee tdx needs configfs-tsm .*it has Gramine .*use --tee sgx"):
        provider_for("tdx", tmp_path / "tsm", tmp_path / "attestation")
    with pytest.raises(NoTeeInterface, match="no configfs-tsm report interface"):
        provider_for("sgx", tmp_path / "tsm", tmp_path / "nothing")


# ---- the real CLI entry point ------------------------------------------------------------------

def run_cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("tee", ["tdx", "sgx"])
def test_no_interface_says_so_plainly_and_exits_non_zero(tee: str, tmp_path: Path) -> None:
    tsm, att = tmp_path / "no-tsm", tmp_path / "no-attestation"
    out = run_cli("signer", "new", tmp_path / "sig", "--tee", tee, "--tsm-root", tsm,
                  "--attestation-root", att)
    assert out.returncode == 1, out
    assert out.stderr.strip() == "error: " + NO_INTERFACE.format(tsm=tsm, att=att)
    assert not (tmp_path / "sig").exists()


def test_no_interface_message_names_the_real_paths_by_default(tmp_path: Path) -> None:
    if Path("/sys/kernel/config/tsm/report").is_dir() or Path("/dev/attestation").is_dir():
        pytest.skip("this machine has a real TEE interface")
    out = run_cli("signer", "new", tmp_path / "sig", "--tee", "tdx")
    assert out.returncode == 1
    assert NO_INTERFACE.format(tsm="/sys/kernel/config/tsm/report", att="/dev/attestation") in out.stderr


def test_tee_and_simulated_are_one_or_the_other(tmp_path: Path) -> None:
    both = run_cli("signer", "new", tmp_path / "a", "--tee", "sgx", "--simulated")
    neither = run_cli("signer", "new", tmp_path / "b")
    assert both.returncode == neither.returncode == 2
    assert "--tee tdx|sgx" in both.stderr and "--simulated" in neither.stderr


def test_signer_new_tee_sgx_through_the_cli(tmp_path: Path) -> None:
    att = tmp_path / "attestation"
    layout_gramine(att)
    server = serve_quote_fifo(att, synthetic_answer("sgx"))
    out = run_cli("signer", "new", tmp_path / "sig", "--tee", "sgx", "--attestation-root", att,
                  "--tsm-root", tmp_path / "no-tsm")
    server.join(30)
    assert out.returncode == 0, out.stderr
    assert "evidence: sgx-dcap quote v3" in out.stdout and f"mrenclave {MRENCLAVE.hex()}" in out.stdout
    identity = SealingIdentity.load(tmp_path / "sig")
    assert (tmp_path / "sig" / "signer.key").stat().st_mode & 0o777 == 0o600
    assert identity.public_key.hex() in out.stdout
    collateral = World().write_collateral(tmp_path / "collateral")
    checker = admission(tmp_path, measured_policy("sgx"), collateral, root_cert(), T0)
    assert checker.decide(identity.evidence, identity.public_key).admitted


def test_signer_new_keeps_no_key_when_the_quote_binds_another(tmp_path: Path) -> None:
    att = tmp_path / "attestation"
    layout_gramine(att)
    server = serve_quote_fifo(att, lambda rd: vector(REAL["sgx"]).quote)
    out = run_cli("signer", "new", tmp_path / "sig", "--tee", "sgx", "--attestation-root", att)
    server.join(30)
    assert out.returncode == 1
    assert "does not bind the new signing key" in out.stderr
    assert not (tmp_path / "sig" / "signer.key").exists()
