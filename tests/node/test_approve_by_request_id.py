"""`member approve DIR REQUEST_ID` says yes to one request, not to whichever entry carries its id
(decision 138). The request id is the requester's choice: anyone may propose a rival entry with
the same id and another target, author or creation time, and the rival's entry id may sort
first; an operator's yes by request id used to land on the first pending match. Now a request id
that different proposed entries carry is refused as ambiguous (the operator picks by entry id),
while the same request proposed again at a later head is still approved by its request id."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.member_recovery import approve_cmd
from council.log import bodies as b
from council.log.kinds import Role
from council.log.sim import SAMPLE_TIME_MS, Council
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_book import AmbiguousApproval, LogBook, Status

RID = b"q" * 16
TARGET = bytes.fromhex("036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")  # the P-256 generator


def _book(tmp_path: Path) -> tuple[Council, LogBook]:
    """A member whose operator approves every widening entry itself (no governance.toml), its log
    where a member folder `tmp_path` keeps it."""
    sim = Council.create(n=3, t=2)
    book = LogBook(tmp_path / "log" / "council", sim.signer("m1"), EventLog("m1", tmp_path / "events.jsonl", echo=False),
                   Governance, clock=lambda: SAMPLE_TIME_MS)
    assert book.accept(sim.records[0]).status is Status.APPENDED
    return sim, book


def _request(created: int = SAMPLE_TIME_MS, target: bytes = TARGET) -> b.RecoveryRequested:
    return b.RecoveryRequested.make(RID, "wallet", 1, bytes(32), created, target_key=target)


def test_a_request_id_two_different_entries_carry_is_refused(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    wanted = sim.entry(sim.operator(), Role.OPERATOR, _request())
    rival = sim.entry(sim.operator(), Role.OPERATOR, _request(SAMPLE_TIME_MS - 1, target=b""))  # no target
    for entry in (wanted, rival):
        assert book.propose(entry).status is Status.PENDING
    with pytest.raises(AmbiguousApproval, match="2 different log entries") as refused:
        book.operator_approve(RID.hex())
    assert wanted.id in str(refused.value) and rival.id in str(refused.value)
    assert {e.id for e in book.pending()} == {wanted.id, rival.id}, "nothing was approved"
    assert book.operator_approve(wanted.id).id == wanted.id  # by entry id: that one
    assert [e.id for e in book.pending()] == [rival.id]
    assert book.propose(wanted).status is Status.APPROVED


def test_a_rival_proposed_after_the_yes_still_makes_the_request_id_ambiguous(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    wanted = sim.entry(sim.operator(), Role.OPERATOR, _request())
    assert book.propose(wanted).status is Status.PENDING
    book.operator_approve(RID.hex())
    rival = sim.entry(sim.operator(), Role.OPERATOR, _request(target=b""))
    assert book.propose(rival).status is Status.PENDING
    with pytest.raises(AmbiguousApproval):
        book.operator_approve(RID.hex())


def test_the_same_request_proposed_again_at_a_later_head_is_approved_by_its_id(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    first = sim.entry(sim.operator(), Role.OPERATOR, _request())
    assert book.propose(first).status is Status.PENDING
    other = sim.add(sim.operator(), Role.OPERATOR, b.Freeze(None, "drill"), ["m1", "m2"])  # someone else's entry took the seq
    assert book.accept(other).status is Status.APPENDED
    again = sim.entry(sim.operator(), Role.OPERATOR, _request())
    assert again.id != first.id and book.propose(again).status is Status.PENDING
    assert book.operator_approve(RID.hex()).id == again.id
    assert book.pending() == []


def test_the_cli_refuses_an_ambiguous_request_id_and_approves_nothing(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    for created in (SAMPLE_TIME_MS, SAMPLE_TIME_MS + 1):
        assert book.propose(sim.entry(sim.operator(), Role.OPERATOR, _request(created))).status is Status.PENDING
    result = CliRunner().invoke(approve_cmd, [str(tmp_path), RID.hex()])
    assert result.exit_code != 0 and isinstance(result.exception, AmbiguousApproval), result.output
    assert len(book.pending()) == 2
    assert not (tmp_path / "recovery" / "approvals").exists(), "the release path was not approved either"
