"""A member sends its release statement with its share (DecryptReply.release_statement, decision
130), so that the coordinator records the releases without another round; the ledger checks every
statement sent and asks, through Author, only the members whose statement is missing or does not
check, so a member that sends garbage, another request's statement or another member's cannot spoil
or forge the shares-released entry."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from net_helpers import APP, KEY, Net

from council.driver.log_client import LogClient
from council.driver.phases import Timing
from council.log import ReleaseStatement, SharesReleased, release_valid
from council.roster import MemberCard
from council.storage.folders import load_roster
from recovery.choose import choose_dump
from recovery.coordinator import build_request, sent_statements
from recovery.gather import ask_members
from recovery.grpc_client import GrpcMemberClient, fetch_council
from recovery.log_ledger import LogLedger

pytestmark = pytest.mark.timeout(120)
FAST = Timing(5.0, 0.0)


def _released(net: Net) -> tuple[LogLedger, Any, GrpcMemberClient, tuple[int, ...]]:
    """A request accepted in the log and every member's share released for it."""
    roster = load_roster(net.council.roster_files["r1"])
    op = net.council.op()
    council = fetch_council(roster, KEY, op, FAST)
    ledger = LogLedger(roster, op, FAST)
    request = build_request(choose_dump(net.store, APP), council, op.identity.signer, int(time.time() * 1000))
    ledger.record_request(request, 10)
    client = GrpcMemberClient(roster, op)
    gathered = ask_members(client, request, sorted(council.verification_shares), 10.0)
    assert sorted(gathered.replies) == [1, 2, 3], gathered
    return ledger, request, client, (1, 2)


def _asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The members the ledger asks for a statement through Author (the real round, observed)."""
    asked: list[str] = []
    original = LogClient.release_statements

    def spy(self: LogClient, cards: Sequence[MemberCard], key_id: str, request_id: bytes) -> Any:
        asked.extend(c.name for c in cards)
        return original(self, cards, key_id, request_id)
    monkeypatch.setattr(LogClient, "release_statements", spy)
    return asked


def _recorded(ledger: LogLedger, request: Any) -> SharesReleased:
    (record,) = [r for r in ledger.records(KEY) if isinstance(r.entry.body, SharesReleased)
                 and r.entry.body.request_id == request.request_id]
    assert isinstance(record.entry.body, SharesReleased)
    return record.entry.body


def test_every_released_share_comes_with_its_members_statement(net: Net, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, request, client, used = _released(net)
    try:
        roster = load_roster(net.council.roster_files["r1"])
        for index in (1, 2, 3):
            raw = client.statement(index, request.request_id)
            statement = ReleaseStatement(raw[:32], raw[32:])
            assert statement.member_key == roster.member(index).signing_key
            assert release_valid(statement, KEY, request.request_id)
        asked = _asked(monkeypatch)
        lines = ledger.record_releases(request, used, sent_statements(client, request, used))
        assert all("ACCEPTED" in line for line in lines), lines
        assert asked == [], "no Author round when every statement came with its share"
        keys = [s.member_key for s in _recorded(ledger, request).statements]
        assert keys == sorted(roster.member(i).signing_key for i in used)
    finally:
        client.close()


@pytest.mark.parametrize("spoil", ["missing", "garbage", "other request", "other member", "flipped signature"])
def test_a_bad_statement_sent_with_a_share_is_asked_for_again(net: Net, monkeypatch: pytest.MonkeyPatch,
                                                               spoil: str) -> None:
    ledger, request, client, used = _released(net)
    try:
        roster = load_roster(net.council.roster_files["r1"])
        sent = sent_statements(client, request, used)
        m2 = roster.member(2)
        signer = net.council.members["m2"].identity.signer
        sent[2] = {"missing": b"", "garbage": b"\x00" * 7,
                   "other request": _other_request(signer, request.request_id),
                   "other member": client.statement(1, request.request_id),
                   "flipped signature": sent[2][:-1] + bytes([sent[2][-1] ^ 1])}[spoil]
        if spoil == "missing":  # an older member sends none
            del sent[2]
        asked = _asked(monkeypatch)
        lines = ledger.record_releases(request, used, sent)
        assert all("ACCEPTED" in line for line in lines), lines
        assert asked == ["m2"], asked
        recorded = {s.member_key: s for s in _recorded(ledger, request).statements}
        assert set(recorded) == {roster.member(1).signing_key, m2.signing_key}
        assert release_valid(recorded[m2.signing_key], KEY, request.request_id)
    finally:
        client.close()


def _other_request(signer: Any, request_id: bytes) -> bytes:
    """m2's own valid statement, but for another request id."""
    from council.log import sign_release

    s = sign_release(signer, KEY, bytes(b ^ 0xFF for b in request_id))
    return s.member_key + s.signature
