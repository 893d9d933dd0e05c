"""The admission policy: decisions, the file format, atomic edits, reload on change, the CLI."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from dcap_synth import MRENCLAVE, MRSIGNER, MRTD, RTMRS, SEALER_KEY, T0, World, root_cert

from cli.attest import policy as policy_cli
from council.attestation import policy as pol
from council.attestation.verdict import Measurements, Verdict, simulated_verdict
from council.attestation.verify import evaluate_quote
from council.errors import PolicyRefused

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    out = {}
    for name, world in {"sgx": World(), "tdx": World(tee="tdx", version=4),
                        "old_qe": World(qe_svn=5)}.items():
        folder = world.write_collateral(tmp_path_factory.mktemp(name))
        out[name] = evaluate_quote(world.quote_bytes(), folder, T0, root_cert())
        assert out[name].verified, out[name].message
    return out


BASE = pol.allow_tdx(pol.allow_sgx(pol.Policy(), pol.SgxAllow(MRENCLAVE, note="v1")),
                     pol.TdxAllow(MRTD, RTMRS))  # type: ignore[arg-type]


def refused(verdict: Verdict, policy: pol.Policy, key: bytes = SEALER_KEY) -> str:
    admission = pol.admit(verdict, key, policy)
    assert not admission.admitted
    return "; ".join(admission.reasons)


@pytest.mark.parametrize("tee", ["sgx", "tdx"])
def test_allow_listed_node_is_admitted(tee: str, verdicts: dict[str, Verdict]) -> None:
    admission = pol.admit(verdicts[tee], SEALER_KEY, BASE)
    assert admission.admitted and admission.reasons == ()
    admission.raise_if_refused()


def test_measurement_not_allow_listed(verdicts: dict[str, Verdict]) -> None:
    assert "MRENCLAVE is not allow-listed" in refused(verdicts["sgx"], pol.Policy())
    other = pol.allow_tdx(pol.Policy(), pol.TdxAllow(MRTD, (*RTMRS[:3], b"\0" * 48)))  # type: ignore[arg-type]
    assert "MRTD and RTMR0..3 are not allow-listed" in refused(verdicts["tdx"], other)
    with pytest.raises(PolicyRefused, match="not allow-listed"):
        pol.admit(verdicts["sgx"], SEALER_KEY, pol.Policy()).raise_if_refused()


def test_mrsigner_alone_is_never_enough(verdicts: dict[str, Verdict], tmp_path: Path) -> None:
    doc = pol.policy_to_json(pol.Policy())
    doc["allow"] = {"sgx": [{"mrsigner": MRSIGNER.hex()}], "tdx": []}
    with pytest.raises(pol.PolicyFileError, match="MRSIGNER alone is never enough"):
        pol.policy_from_json(doc)
    same_signer = pol.allow_sgx(pol.Policy(), pol.SgxAllow(b"\x01" * 32, mrsigner=MRSIGNER))
    assert "MRENCLAVE is not allow-listed" in refused(verdicts["sgx"], same_signer)
    path = tmp_path / "p.json"
    pol.write_policy(path, pol.Policy())
    result = CliRunner().invoke(policy_cli, ["allow", str(path), "--mrsigner", MRSIGNER.hex()])
    assert result.exit_code == 2 and "MRSIGNER alone" in result.output


def test_tdx_entries_need_every_rtmr() -> None:
    doc = pol.policy_to_json(BASE)
    del doc["allow"]["tdx"][0]["rtmr2"]  # type: ignore[index]
    with pytest.raises(pol.PolicyFileError, match="rtmr2"):
        pol.policy_from_json(doc)


def test_forbidden_advisory(verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts["old_qe"]
    assert verdict.tcb_status == "OutOfDate" and "INTEL-SA-00615" in verdict.advisory_ids
    lenient = pol.accept_status(BASE, "OutOfDate")
    assert pol.admit(verdict, SEALER_KEY, lenient).admitted
    strict = pol.forbid_advisory(lenient, "INTEL-SA-00615")
    assert "forbidden advisories apply: INTEL-SA-00615" in refused(verdict, strict)


def test_tcb_status_not_accepted(verdicts: dict[str, Verdict]) -> None:
    assert "TCB status OutOfDate is not accepted" in refused(verdicts["old_qe"], BASE)


def test_freeze_by_editing_the_file_takes_effect_at_once(verdicts: dict[str, Verdict], tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    pol.write_policy(path, BASE)
    live = pol.PolicyFile(path)
    assert pol.admit(verdicts["sgx"], SEALER_KEY, live.current()).admitted
    runner = CliRunner()
    assert runner.invoke(policy_cli, ["freeze", str(path), "--reason", "INTEL-SA-01234"]).exit_code == 0
    assert "admissions are frozen (INTEL-SA-01234)" in refused(verdicts["sgx"], live.current())
    before = (T0 - timedelta(minutes=1)).isoformat()
    assert runner.invoke(policy_cli, ["freeze", str(path), "--at", before]).exit_code == 0
    assert "frozen since" in refused(verdicts["sgx"], live.current())
    after = (T0 + timedelta(minutes=1)).isoformat()
    assert runner.invoke(policy_cli, ["freeze", str(path), "--at", after]).exit_code == 0
    assert pol.admit(verdicts["sgx"], SEALER_KEY, live.current()).admitted
    pol.PolicyFile(path).update(lambda p: pol.freeze(p, None))  # another writer
    assert not pol.admit(verdicts["sgx"], SEALER_KEY, live.current()).admitted
    assert runner.invoke(policy_cli, ["unfreeze", str(path)]).exit_code == 0
    assert pol.admit(verdicts["sgx"], SEALER_KEY, live.current()).admitted


def test_revoked_sealer_key(verdicts: dict[str, Verdict]) -> None:
    revoked = pol.revoke_sealer(BASE, SEALER_KEY)
    assert "the sealer key is revoked" in refused(verdicts["sgx"], revoked)


def test_report_data_must_bind_the_sealer_key(verdicts: dict[str, Verdict]) -> None:
    assert "does not bind the sealer public key" in refused(verdicts["sgx"], BASE, b"\x03" + SEALER_KEY[1:])


def test_simulated_refused_unless_allowed() -> None:
    from council.attestation.binding import expected_report_data_prefix
    verdict = simulated_verdict("sgx", Measurements(mrenclave=MRENCLAVE, mrsigner=MRSIGNER, isv_svn=2),
                                expected_report_data_prefix(SEALER_KEY) + bytes(32), T0)
    assert "simulated TEEs are not allowed" in refused(verdict, BASE)
    assert pol.admit(verdict, SEALER_KEY, pol.set_options(BASE, simulated=True)).admitted


def test_unverified_quote_refused(verdicts: dict[str, Verdict]) -> None:
    failed = replace(verdicts["sgx"], verified=False, failed_step="quote_signature")
    assert "quote did not verify (step quote_signature)" in refused(failed, BASE)


def test_debug_refused_unless_allowed(verdicts: dict[str, Verdict]) -> None:
    debug = replace(verdicts["sgx"], debug_enclave=True)
    assert "debug" in refused(debug, BASE)
    assert pol.admit(debug, SEALER_KEY, pol.set_options(BASE, debug=True)).admitted


def test_min_isv_svn(verdicts: dict[str, Verdict]) -> None:
    assert "ISVSVN 2 is below the minimum 3" in refused(verdicts["sgx"], pol.set_options(BASE, min_isv_svn=3))


def test_every_reason_is_reported(verdicts: dict[str, Verdict]) -> None:
    everything = pol.revoke_sealer(pol.freeze(pol.Policy(), None), SEALER_KEY)
    assert len(pol.admit(verdicts["sgx"], SEALER_KEY, everything).reasons) == 3


def test_codec_round_trip() -> None:
    policy = pol.freeze(pol.forbid_advisory(pol.revoke_sealer(BASE, SEALER_KEY), "INTEL-SA-00657"),
                        T0, "drill")
    assert pol.policy_from_json(json.loads(json.dumps(pol.policy_to_json(policy)))) == policy


@pytest.mark.parametrize("change", [
    {"format": "other"}, {"version": 2}, {"surprise": 1}, {"accepted_tcb_statuses": ["Fine"]},
    {"allow_debug": "yes"}, {"min_isv_svn": -1}, {"freeze": {"after": "yesterday"}},
    {"revoked_sealer_keys": ["zz"]}, {"allow": {"sgx": [{"mrenclave": "00"}]}},
])
def test_bad_policy_files_are_refused(change: dict[str, object], tmp_path: Path) -> None:
    doc = {**pol.policy_to_json(BASE), **change}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(pol.PolicyFileError):
        pol.PolicyFile(path).current()


def test_policy_file_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    live = pol.PolicyFile(path)
    with pytest.raises(pol.PolicyFileError):
        live.current()
    pol.write_policy(path, BASE)
    assert live.current() == BASE
    path.write_text("{not json")
    with pytest.raises(pol.PolicyFileError):
        live.current()


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    for _ in range(3):
        pol.write_policy(path, BASE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert pol.read_policy(path) == BASE


def test_cli_policy_commands(tmp_path: Path) -> None:
    path = str(tmp_path / "policy.json")
    runner = CliRunner()

    def ok(*args: str) -> dict[str, object]:
        result = runner.invoke(policy_cli, list(args))
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    assert ok("new", path)["accepted_tcb_statuses"] == ["UpToDate"]
    assert runner.invoke(policy_cli, ["new", path]).exit_code == 1
    ok("allow", path, "--mrenclave", MRENCLAVE.hex(), "--note", "release 1.2")
    ok("allow", path, "--mrtd", MRTD.hex(), *[a for i, r in enumerate(RTMRS) for a in (f"--rtmr{i}", r.hex())])
    ok("allow", path, "--tcb-status", "SWHardeningNeeded", "--min-isv-svn", "2")
    shown = ok("deny", path, "--advisory", "INTEL-SA-00657", "--advisory", "INTEL-SA-00615")
    assert shown["forbidden_advisories"] == ["INTEL-SA-00615", "INTEL-SA-00657"]
    assert ok("allow", path, "--advisory", "INTEL-SA-00615")["forbidden_advisories"] == ["INTEL-SA-00657"]
    assert ok("revoke", path, "--sealer-key", SEALER_KEY.hex())["revoked_sealer_keys"] == [SEALER_KEY.hex()]
    assert ok("freeze", path, "--at", "2025-01-01T00:00:00Z")["freeze"] == {"after": "2025-01-01T00:00:00Z",
                                                                            "reason": ""}
    assert ok("unfreeze", path)["freeze"] is None
    shown = ok("deny", path, "--mrenclave", MRENCLAVE.hex())
    assert shown["allow"]["sgx"] == [] and len(shown["allow"]["tdx"]) == 1  # type: ignore[index]
    assert ok("show", path)["min_isv_svn"] == 2
    assert runner.invoke(policy_cli, ["allow", path, "--mrtd", MRTD.hex()]).exit_code == 2
    assert runner.invoke(policy_cli, ["allow", path, "--mrenclave", "abcd"]).exit_code == 2
    assert runner.invoke(policy_cli, ["allow", path, "--tcb-status", "Fine"]).exit_code == 2
    assert runner.invoke(policy_cli, ["deny", path]).exit_code == 2
    Path(path).write_text("[]")
    result = runner.invoke(policy_cli, ["show", path])
    assert result.exit_code == 1 and "policy" in result.output
