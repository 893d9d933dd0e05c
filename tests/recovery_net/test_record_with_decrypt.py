"""The request's accepted log record rides with each Decrypt call instead of a hand-over round before
it (decision 131). A member appends it exactly as Accept would; one that is behind is caught up the
usual way and asked again, so it still releases; a malformed record is a clear INVALID_ARGUMENT;
a record that does not carry its quorum is refused by the log's rules, and the member then releases
nothing for a request its log does not hold."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import grpc
import pytest
from net_helpers import APP, KEY, NAMES, Net

from council.driver.phases import Timing
from council.log import Approval, LogRecord, RecoveryRequested
from council.node.log_book import folder_logbook
from council.protocol import tls
from council.protocol.gen import recovery_pb2 as pb
from council.protocol.gen import recovery_pb2_grpc as pb_grpc
from council.storage.folders import load_roster
from recovery.choose import choose_dump
from recovery.coordinator import build_request
from recovery.gather import ask_members
from recovery.grpc_client import GrpcMemberClient, fetch_council
from recovery.log_ledger import LogLedger

pytestmark = pytest.mark.timeout(120)
FAST = Timing(5.0, 0.0)


def _parts(net: Net) -> tuple[Any, Any, Any]:
    roster = load_roster(net.council.roster_files["r1"])
    op = net.council.op()
    return roster, op, fetch_council(roster, KEY, op, FAST)


def _request(net: Net, council: Any, op: Any) -> Any:
    return build_request(choose_dump(net.store, APP), council, op.identity.signer, int(time.time() * 1000))


def _holds_request(net: Net, name: str, request: Any) -> bool:
    return any(isinstance(r.entry.body, RecoveryRequested) and r.entry.body.request_id == request.request_id
               for r in folder_logbook(net.council.base / name).records(KEY))


def test_members_take_the_record_from_decrypt_and_release(net: Net) -> None:
    roster, op, council = _parts(net)
    client = GrpcMemberClient(roster, op)
    ledger = LogLedger(roster, op, FAST, carrier=client)
    try:
        request = _request(net, council, op)
        ledger.record_request(request, 10)
        assert not any(_holds_request(net, n, request) for n in NAMES), "handed over before Decrypt"
        gathered = ask_members(client, request, [1, 2, 3], 10.0)
        assert sorted(gathered.replies) == [1, 2, 3], gathered
        assert all(_holds_request(net, n, request) for n in NAMES)
    finally:
        client.close()
        ledger.close()


def test_a_member_behind_is_caught_up_and_still_releases(net: Net) -> None:
    """m3 is down while the first request's record goes out with the Decrypt calls, so it misses it;
    the next request is proposed at the head the coordinator verified (no read, which would catch m3
    up), and m3, behind, is handed the missing records when it says so, then releases."""
    roster, op, council = _parts(net)
    notices: list[str] = []
    client = GrpcMemberClient(roster, op, notice=notices.append)
    ledger = LogLedger(roster, op, FAST, carrier=client)
    try:
        first = _request(net, council, op)
        ledger.record_request(first, 10)
        net.down("m3")
        try:
            assert sorted(ask_members(client, first, [1, 2], 10.0).replies) == [1, 2]
        finally:
            net.up("m3")
        assert not _holds_request(net, "m3", first)
        request = _request(net, council, op)
        ledger.record_request(request, 10)
        gathered = ask_members(client, request, [1, 2, 3], 10.0)
        assert sorted(gathered.replies) == [1, 2, 3], (gathered.refused, gathered.unavailable)
        assert _holds_request(net, "m3", first) and _holds_request(net, "m3", request)
        (said,) = notices
        assert said.startswith("member 3 (m3): did not take the request's log record (behind)"), said
        assert "caught up" in said, said
    finally:
        client.close()
        ledger.close()


def _raw_decrypt(net: Net, name: str, request: Any, record: bytes) -> pb.DecryptReply:
    roster = load_roster(net.council.roster_files["r1"])
    card = next(m for m in roster.members if m.name == name)
    ident = net.council.op().identity
    channel = tls.secure_channel(card.address, card.tls_cert.encode(), ident.tls_key_pem, ident.tls_cert_pem)
    try:
        stub = pb_grpc.RecoveryStub(channel)  # type: ignore[no-untyped-call]
        return stub.Decrypt(pb.DecryptRequest(request=request.to_bytes(), log_record=record), timeout=10)
    finally:
        channel.close()


class _Keep:
    """A carrier that keeps the record for the test instead of sending it."""

    record = b""

    def carry(self, request_id: bytes, record: bytes, catch_up: Any) -> None:
        self.record = record


def _unsent(net: Net) -> tuple[Any, bytes]:
    """A request accepted by t members whose record was handed to nobody."""
    roster, op, council = _parts(net)
    keep = _Keep()
    ledger = LogLedger(roster, op, FAST, carrier=keep)
    try:
        request = _request(net, council, op)
        ledger.record_request(request, 10)
    finally:
        ledger.close()
    assert keep.record
    return request, keep.record


def test_a_malformed_record_is_invalid_argument_and_nothing_is_released(net: Net) -> None:
    request, record = _unsent(net)
    with pytest.raises(grpc.RpcError) as info:
        _raw_decrypt(net, "m1", request, record[:-3])
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value
    assert "record" in (info.value.details() or ""), info.value.details()
    assert not _holds_request(net, "m1", request)


def test_a_record_without_its_quorum_is_refused_and_the_request_not_released(net: Net) -> None:
    request, record = _unsent(net)
    good = LogRecord.from_bytes(record)
    bad = good.approvals[0]
    forged = Approval(bad.member_key, bytes([bad.signature[0] ^ 1]) + bad.signature[1:], bad.anchor)
    spoiled = replace(good, approvals=(forged, *good.approvals[1:])).to_bytes()
    reply = _raw_decrypt(net, "m1", request, spoiled)
    assert reply.log_status.startswith("refused: approval.signature"), reply.log_status
    assert reply.decision == pb.DecryptReply.REFUSED and not reply.share, reply
    assert not _holds_request(net, "m1", request)
    again = _raw_decrypt(net, "m1", request, record)            # the real record: taken, then released
    assert again.log_status == "appended" and again.decision == pb.DecryptReply.RELEASED, again
