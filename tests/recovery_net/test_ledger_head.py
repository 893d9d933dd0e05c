"""The coordinator proposes at the head it verified last, without reading the log first (one round
fewer per request); when another party appended meanwhile, the members refuse that proposal and
the coordinator reads the log and proposes at the real head. Never two entries at one sequence
number, and every member's copy verifies."""

from __future__ import annotations

import time

import pytest
from net_helpers import APP, KEY, NAMES, Net

from council.driver.client import MemberClient
from council.driver.log_client import LogClient, operator_entry
from council.driver.phases import Timing
from council.log import verify_log
from council.node.log_book import folder_logbook
from council.protocol.gen import log_pb2, log_pb2_grpc
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.storage.folders import load_roster
from recovery.choose import choose_dump
from recovery.log_ledger import LogLedger

pytestmark = pytest.mark.timeout(90)
FAST = Timing(5.0, 0.0)


def _request(net: Net) -> RecoveryRequest:
    chosen = choose_dump(net.store, APP)
    return sign_request(net.council.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                        dump_version=chosen.version, created_unix_ms=int(time.time() * 1000))


def test_a_stale_verified_head_falls_back_to_reading_the_log(net: Net) -> None:
    roster = load_roster(net.council.roster_files["r1"])
    op = net.council.op()
    a, b = LogLedger(roster, op, FAST), LogLedger(roster, op, FAST)
    first, second, third = _request(net), _request(net), _request(net)
    a.record_request(first, 10)                   # A reads the log, appends, remembers the head
    head = a.verified.get(KEY, [m.signing_key for m in roster.members])[0].next_seq
    b.record_request(second, 10)                  # another coordinator moves the head on
    a.record_request(third, 10)                   # A's remembered head is stale now
    with LogClient(roster.members, op, FAST) as client:
        state, records = client.read(KEY)
    for request in (first, second, third):
        assert state.request(request.request_id) is not None, request.id_hex
    assert state.next_seq == head + 2
    seqs = [r.entry.seq for r in records]
    assert seqs == list(range(len(records)))      # one entry per sequence number
    for name in NAMES:
        mine = folder_logbook(net.council.base / name).records(KEY)
        assert verify_log(mine, KEY).failure is None, name


def test_a_fresh_verified_head_appends_without_reading(net: Net, monkeypatch: pytest.MonkeyPatch) -> None:
    roster = load_roster(net.council.roster_files["r1"])
    ledger = LogLedger(roster, net.council.op(), FAST)
    ledger.record_request(_request(net), 10)
    reads: list[str] = []
    original = LogClient.read

    def counting(self: LogClient, key_id: str):  # type: ignore[no-untyped-def]
        reads.append(key_id)
        return original(self, key_id)
    monkeypatch.setattr(LogClient, "read", counting)  # observed, not replaced: it still reads
    again = _request(net)
    ledger.record_request(again, 10)
    monkeypatch.undo()
    assert reads == []                            # accepted at the remembered head, no read first
    with LogClient(roster.members, net.council.op(), FAST) as client:
        state, _ = client.read(KEY)
    assert state.request(again.request_id) is not None


def _approved_but_never_handed_over(net: Net, request: RecoveryRequest) -> str:
    """What a coordinator SIGKILLed between its approvals and its hand-over leaves: every member
    approved (and persisted) its entry at the head, and nobody holds the record."""
    roster = load_roster(net.council.roster_files["r1"])
    op = net.council.op()
    with LogClient(roster.members, op, FAST) as log:
        state, _ = log.read(KEY)
    entry = operator_entry(op, state, LogLedger(roster, op, FAST).body(request))
    for card in roster.members:
        client = MemberClient(card, op)
        try:
            reply = log_pb2_grpc.CouncilLogStub(client.channel).Propose(  # type: ignore[no-untyped-call]
                log_pb2.ProposeRequest(entry=entry.to_bytes()), timeout=20)
        finally:
            client.close()
        assert reply.status == log_pb2.ProposeReply.APPROVED, reply
    return entry.id


def test_a_coordinator_that_died_after_its_approvals_does_not_stall_the_log(net: Net) -> None:
    """Found by `make chaos` (seed 20261230): the next recovery's request was refused by every member
    (approval.one-per-sequence) at that seq, for good. Now the next client completes the stranded
    entry (members approve it again, nothing new) and appends its own at the next seq."""
    roster = load_roster(net.council.roster_files["r1"])
    stranded, mine = _request(net), _request(net)
    stranded_id = _approved_but_never_handed_over(net, stranded)
    with LogClient(roster.members, net.council.op(), FAST) as log:
        head = log.read(KEY)[0].next_seq
    LogLedger(roster, net.council.op(), FAST).record_request(mine, 10)
    with LogClient(roster.members, net.council.op(), FAST) as log:
        state, records = log.read(KEY)
    assert records[head].entry.id == stranded_id               # completed, with t approvals
    assert state.request(mine.request_id) is not None and state.next_seq == head + 2
    for name in NAMES:
        mine_copy = folder_logbook(net.council.base / name).records(KEY)
        assert verify_log(mine_copy, KEY).failure is None, name
        assert len(mine_copy) == head + 2, name
