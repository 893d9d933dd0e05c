"""A member's approval at a sequence number is one file, the digest and then the entry's bytes, in
one atomic write (decision 129): no crash leaves a digest without its bytes or the reverse. A folder
written before (the digest alone, the bytes in `<seq>.entry`) still guards the seq, still answers a
rival proposal with the approved bytes and still takes the reviewed path on hand-over."""

from __future__ import annotations

from pathlib import Path

from council.log import Freeze, LogRecord, RosterProposed
from council.log.kinds import Role
from council.log.sim import Council
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_book import ONE_PER_SEQUENCE, LogBook, Status


def _book(tmp_path: Path) -> tuple[Council, LogBook]:
    sim = Council.create(n=3, t=2)
    book = LogBook(tmp_path / "council", sim.signer("m1"), EventLog("m1", tmp_path / "events.jsonl", echo=False),
                   Governance, clock=lambda: 1_000)
    assert book.accept(sim.records[0]).status is Status.APPENDED
    return sim, book


def _approved_dir(book: LogBook, sim: Council) -> Path:
    return book.root / sim.key_id / "approved"


def test_an_approval_is_one_file_holding_the_digest_then_the_bytes(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    freeze = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "incident"))
    assert book.propose(freeze).status is Status.APPROVED
    files = sorted(p.name for p in _approved_dir(book, sim).iterdir())
    assert files == [f"{1:020d}"], files
    assert (_approved_dir(book, sim) / files[0]).read_bytes() == freeze.digest + freeze.to_bytes()
    assert book.approvals(sim.key_id) == {1: freeze.digest}


def _old_layout(book: LogBook, sim: Council, seq: int, data: bytes, digest: bytes) -> None:
    """Rewrite the approval at `seq` as a folder from before decision 129 holds it."""
    name = _approved_dir(book, sim) / f"{seq:020d}"
    name.write_bytes(digest)
    name.with_suffix(".entry").write_bytes(data)


def test_a_folder_of_the_old_layout_still_guards_answers_and_reviews(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    freeze = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "incident"))
    assert book.propose(freeze).status is Status.APPROVED
    _old_layout(book, sim, 1, freeze.to_bytes(), freeze.digest)
    rival = sim.entry(sim.operator(), Role.OPERATOR, RosterProposed(sim.make_roster(["m1", "m2", "m3"], 3)))
    refused = book.propose(rival)
    assert refused.status is Status.REFUSED and refused.rule == ONE_PER_SEQUENCE
    assert refused.rival == freeze.to_bytes(), "the approved bytes go back to complete the entry"
    assert book.propose(freeze).status is Status.APPROVED  # the same entry again: approved again
    assert book.approvals(sim.key_id) == {1: freeze.digest}
    assert book._reviewed(freeze) and not book._reviewed(rival)
    record = LogRecord.of(freeze, sim.approvals(freeze, ["m1", "m2"]))
    assert book.accept(record).status is Status.APPENDED


def test_old_layout_without_the_bytes_still_guards_the_seq(tmp_path: Path) -> None:
    """A digest file whose `.entry` is gone: the seq stays taken, and nothing is offered as rival."""
    sim, book = _book(tmp_path)
    freeze = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "incident"))
    assert book.propose(freeze).status is Status.APPROVED
    _old_layout(book, sim, 1, b"", freeze.digest)
    (_approved_dir(book, sim) / f"{1:020d}.entry").unlink()
    rival = sim.entry(sim.operator(), Role.OPERATOR, RosterProposed(sim.make_roster(["m1", "m2", "m3"], 3)))
    refused = book.propose(rival)
    assert refused.status is Status.REFUSED and refused.rule == ONE_PER_SEQUENCE and refused.rival == b""
    assert not book._reviewed(freeze), "without the bytes nothing is taken as reviewed"


def test_an_approval_file_with_other_bytes_is_not_offered_nor_reviewed(tmp_path: Path) -> None:
    """Bytes that do not hash to the stored digest (damage, or a hand edit) are never handed out as
    the approved entry and never skip the checks."""
    sim, book = _book(tmp_path)
    freeze = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "incident"))
    other = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "another reason"))
    assert book.propose(freeze).status is Status.APPROVED
    (_approved_dir(book, sim) / f"{1:020d}").write_bytes(freeze.digest + other.to_bytes())
    refused = book.propose(other)
    assert refused.status is Status.REFUSED and refused.rule == ONE_PER_SEQUENCE and refused.rival == b""
    assert not book._reviewed(other) and not book._reviewed(freeze)
