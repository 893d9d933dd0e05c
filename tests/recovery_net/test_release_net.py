"""Members' release path over gRPC: who may ask, manual approval, sealer admission (freeze without
a restart), and the release log."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from net_helpers import APP, KEY, NAMES, Net, invoke, keycouncil, releases, write_release_policy

from cli.recover import recover
from council.crypto.signing import Signer
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PeerUnavailable, PolicyRefused
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.storage.folders import load_roster
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient
from recovery.log_ledger import LogLedger

pytestmark = pytest.mark.timeout(60)


FAST_TIMING = Timing(5.0, 0.0)


def _request(net: Net, signer: Signer) -> RecoveryRequest:
    """A request for the newest dump; signed by the operator, it is also accepted in the log."""
    chosen = choose_dump(net.store, APP)
    h = chosen.candidate.dump.header
    request = sign_request(signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                           dump_version=h.dump_version, created_unix_ms=int(time.time() * 1000))
    op = net.council.op()
    if signer.public_key == op.identity.signer.public_key:
        LogLedger(load_roster(net.council.roster_files["r1"]), op, FAST_TIMING).record_request(request, 10)
    return request


def _client(net: Net, operator: OperatorFolder | None = None) -> GrpcMemberClient:
    c = net.council
    return GrpcMemberClient(load_roster(c.roster_files["r1"]), operator or c.op(), wait_seconds=5)


def test_request_signed_by_non_operator_is_refused_and_logged(net: Net) -> None:
    request = _request(net, Signer.generate())
    client = _client(net)
    for i, name in enumerate(NAMES, start=1):
        with pytest.raises(PolicyRefused, match=f"^{name}: .*not an operator of the roster"):
            client.decrypt(i, request)
        last = releases(net.council.base / name)[-1]
        assert (last["decision"], last["request_id"]) == ("refused", request.id_hex)
        assert "not an operator" in str(last["reason"])


def test_client_certificate_not_an_operators_is_refused_and_logged(net: Net) -> None:
    """m2's certificate is in the roster (TLS accepts it), but it is not an operator's: every member
    refuses the call (PERMISSION_DENIED) and logs it."""
    c = net.council
    as_member = OperatorFolder(c.base / "m2", "m2", c.members["m2"].identity)
    request = _request(net, c.op().identity.signer)
    client = _client(net, as_member)
    for i, name in enumerate(NAMES, start=1):
        before = len(releases(c.base / name))
        with pytest.raises(PolicyRefused, match=f"^{name}: .*not an operator's certificate"
                                                ".*PERMISSION_DENIED"):
            client.decrypt(i, request)
        last = releases(c.base / name)[before:]
        assert len(last) == 1 and last[0]["decision"] == "refused" and "certificate" in str(last[0]["reason"])


def test_client_certificate_outside_the_roster_fails_the_handshake(net: Net, tmp_path: Path) -> None:
    """A certificate of no roster never completes mutual TLS (nothing reaches the release path)."""
    stranger = OperatorFolder.init(tmp_path / "stranger", "stranger", None)
    request = _request(net, net.council.op().identity.signer)
    for i, name in enumerate(NAMES, start=1):
        before = releases(net.council.base / name)
        with pytest.raises(PeerUnavailable, match=f"^{name} at .*TLS handshake"):
            _client(net, stranger).decrypt(i, request)
        assert releases(net.council.base / name) == before


def test_manual_approval_waits_for_member_approve(net: Net, tmp_path: Path) -> None:
    c = net.council
    for n in NAMES:
        write_release_policy(c.base / n, manual_approval=True)
    out = tmp_path / "state.bin"
    results = []
    args = ["--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path), "--store", str(net.store),
            "--app", APP, "-o", str(out), "--deadline", "30"]
    worker = threading.Thread(target=lambda: results.append(invoke(recover, args)))
    worker.start()
    try:
        for n in NAMES:
            request_id = _wait_pending(c.base / n)
            # separate processes: click's test runner swaps sys.stdout, so two runners on two
            # threads (the recovery is one) would capture each other's output
            listing = keycouncil("member", "requests", str(c.base / n))
            assert f"{request_id}  pending" in listing.out, listing.err
            assert not out.exists()
            done = keycouncil("member", "approve", str(c.base / n), request_id, "--by", "alice")
            assert done.code == 0, done.err
    finally:
        worker.join(40)
    result = results[0]
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.read_bytes() == net.payloads[-1]
    assert "waiting for approval by member m1" in result.output
    assert [e["decision"] for e in releases(c.base / "m1")][-3:] == ["pending", "approved", "released"]


def test_waiting_period_answers_pending_then_releases(net: Net, tmp_path: Path) -> None:
    c = net.council
    for n in NAMES:
        text = (c.base / n / "release-policy.toml").read_text()
        (c.base / n / "release-policy.toml").write_text(text.replace("waiting_period_seconds = 0",
                                                                     "waiting_period_seconds = 2"))
    out = tmp_path / "state.bin"
    args = ["--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path), "--store", str(net.store),
            "--app", APP, "-o", str(out), "--deadline", "15"]
    started = time.monotonic()
    result = invoke(recover, args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.read_bytes() == net.payloads[-1] and time.monotonic() - started >= 2
    assert "waiting for member m1: in its waiting period" in result.output
    decisions = [e["decision"] for e in releases(c.base / "m1")][-2:]
    assert decisions == ["pending", "released"]


def _wait_pending(folder: Path) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pending = [e for e in releases(folder) if e["decision"] == "pending"]
        if pending:
            return str(pending[-1]["request_id"])
        time.sleep(0.05)
    raise AssertionError(f"{folder}: no pending request")


def test_sealer_not_admitted_then_freeze_without_restart(net: Net) -> None:
    c = net.council
    client = _client(net)
    for n in NAMES:
        write_release_policy(c.base / n, allow_simulated=False)
    with pytest.raises(PolicyRefused, match="allow_simulated = false"):
        client.decrypt(1, _request(net, c.op().identity.signer))
    for n in NAMES:
        write_release_policy(c.base / n, frozen=True)
    with pytest.raises(PolicyRefused, match="admissions are frozen"):
        client.decrypt(2, _request(net, c.op().identity.signer))
    write_release_policy(c.base / "m2")  # unfrozen again: released, same server process
    assert client.decrypt(2, _request(net, c.op().identity.signer)).index == 2


def test_missing_admission_policy_fails_closed(net: Net) -> None:
    write_release_policy(net.council.base / "m3", admission=False)
    with pytest.raises(PolicyRefused, match="no admission policy is configured"):
        _client(net).decrypt(3, _request(net, net.council.op().identity.signer))
