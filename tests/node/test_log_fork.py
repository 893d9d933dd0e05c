"""Resolving a fork on one member's log book (council/node/log_fork.py): keeping the rival entry
switches the member to that branch, the dropped records go to the evidence folder, a narrowing
entry among them stays in force here (choosing a branch widens nothing), and a decision that does
not stand when the member checks it again is set aside with the member still halted."""

from __future__ import annotations

import json
from pathlib import Path

from council.log import Freeze, LogRecord, RosterProposed
from council.log.kinds import Role
from council.log.sim import Council
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_book import LogBook, Status
from council.node.log_fork import DECISION, HALTED, ForkDecision


def _forked(tmp_path: Path) -> tuple[Council, LogBook, LogRecord, LogRecord]:
    """A book whose entry 1 is a freeze (m1, m2) and that was handed a rival roster entry (m2, m3)."""
    sim = Council.create(n=3, t=2)
    book = LogBook(tmp_path / "council", sim.signer("m1"), EventLog("m1", tmp_path / "events.jsonl", echo=False),
                   Governance, clock=lambda: 1_000)
    assert book.accept(sim.records[0]).status is Status.APPENDED
    rival = sim.entry(sim.operator(), Role.OPERATOR, RosterProposed(sim.make_roster(["m1", "m2", "m3"], 3)))
    rival_record = LogRecord.of(rival, sim.approvals(rival, ["m2", "m3"]))
    freeze = sim.add(sim.operator(), Role.OPERATOR, Freeze(None, "incident"), ["m1", "m2"])
    assert book.accept(freeze).status is Status.APPENDED
    answer = book.accept(rival_record)
    assert answer.status is Status.REFUSED and answer.rule == "log.fork"
    return sim, book, freeze, rival_record


def _events(tmp_path: Path, name: str) -> list[dict[str, object]]:
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == name]


def test_keeping_the_rival_switches_branch_and_keeps_the_dropped_freeze_in_force(tmp_path: Path) -> None:
    sim, book, freeze, rival = _forked(tmp_path)
    key = sim.key_id
    assert book.state(key).frozen is not None
    decision = book.decide_fork(key, 1, rival.entry.id, "bob")
    assert (decision.keep, decision.drop) == (rival.entry.id, freeze.entry.id)
    assert (book.root / DECISION).exists() and (book.root / HALTED).exists()  # applied at the next log call
    assert book.resume_if_decided() == decision
    assert not (book.root / HALTED).exists() and not (book.root / DECISION).exists()
    assert [r.entry.id for r in book.records(key)] == [sim.records[0].entry.id, rival.entry.id]
    assert book.state(key).frozen is None and book.state(key).pending is not None
    assert book.effective(key).frozen is not None, "the dropped branch's freeze must stay in force here"
    forks = book.root / key / "forks"
    assert (forks / "dropped" / freeze.entry.id).exists()
    (archive,) = [p for p in forks.iterdir() if p.name != "dropped"]
    assert sorted(p.name for p in (archive / "records").iterdir()) == [f"{1:020d}.rec"]
    assert (archive / "HALTED").exists() and json.loads((archive / "decision.json").read_text())["by"] == "bob"
    (resolved,) = _events(tmp_path, "log-fork-resolved")
    assert resolved["switched_branch"] is True and resolved["keep"] == rival.entry.id
    # The freeze handed over again does not halt the member a second time.
    again = book.accept(freeze)
    assert again.status is Status.REFUSED and again.rule == "log.fork-resolved"
    assert not (book.root / HALTED).exists()


def test_a_decision_that_does_not_stand_is_set_aside_and_the_member_stays_halted(tmp_path: Path) -> None:
    sim, book, freeze, _ = _forked(tmp_path)
    bogus = ForkDecision(sim.key_id, 1, "ab" * 16, freeze.entry.id, "mallory", "2026-01-01T00:00:00Z")
    (book.root / DECISION).write_bytes(bogus.to_bytes())  # written past the command's checks
    assert book.resume_if_decided() is None
    assert (book.root / HALTED).exists() and not (book.root / DECISION).exists()
    (refused,) = _events(tmp_path, "log-fork-decision-refused")
    assert "is not one of the two entries of the fork" in str(refused["reason"])
    entry = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "next"))
    answer = book.propose(entry)
    assert answer.status is Status.REFUSED and answer.rule == "fork.halted"


def test_the_acting_state_follows_the_branch_kept_at_the_last_seq(tmp_path: Path) -> None:
    """With a chain gate the acting state is cached by (length, gate version); keeping the rival
    at the last seq leaves the length as it was, and the member must act on the kept branch."""
    sim = Council.create(n=3, t=2)
    book = LogBook(tmp_path / "council", sim.signer("m1"), EventLog("m1", tmp_path / "events.jsonl", echo=False),
                   Governance, clock=lambda: 1_000)
    book.anchor_gate = lambda entry: True  # every widening entry anchored: the cached path
    assert book.accept(sim.records[0]).status is Status.APPENDED
    roster = sim.add(sim.operator(), Role.OPERATOR, RosterProposed(sim.make_roster(["m1", "m2", "m3"], 3)),
                     ["m1", "m2"])
    assert book.accept(roster).status is Status.APPENDED
    assert book.acting(sim.key_id).pending is not None
    freeze = sim.entry(sim.operator(), Role.OPERATOR, Freeze(None, "incident"), seq=1,
                       previous=sim.records[0].entry.digest)
    rival = LogRecord.of(freeze, sim.approvals(freeze, ["m2", "m3"]))
    assert book.accept(rival).rule == "log.fork"
    book.decide_fork(sim.key_id, 1, freeze.id, "bob")
    book.resume_if_decided()
    acting = book.acting(sim.key_id)
    assert acting.pending is None and acting.frozen is not None
