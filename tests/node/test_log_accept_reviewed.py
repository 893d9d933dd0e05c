"""A member accepting the entry it approved skips the checks it already made (decision 125), and
only then: a record whose entry differs from the approved bytes in any way (here only in the
author's signature, which the digest does not cover) is checked in full and refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from council.log import LogRecord, SharesReleased, rules, sign_release
from council.log import bodies as b
from council.log.kinds import Role
from council.log.sim import SAMPLE_TIME_MS, Council
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_book import LogBook, Status

RID = b"r" * 16


def _book(tmp_path: Path) -> tuple[Council, LogBook]:
    sim = Council.create(n=3, t=2)
    book = LogBook(tmp_path / "council", sim.signer("m1"), EventLog("m1", tmp_path / "events.jsonl", echo=False),
                   Governance, clock=lambda: SAMPLE_TIME_MS)
    assert book.accept(sim.records[0]).status is Status.APPENDED
    request = sim.add(sim.operator(), Role.OPERATOR, b.RecoveryRequested.make(RID, "wallet", 1, bytes(32), SAMPLE_TIME_MS))
    assert book.accept(request).status is Status.APPENDED
    return sim, book


def _releases(sim: Council) -> LogRecord:
    body = SharesReleased.of(RID, [sign_release(sim.signer(m), sim.key_id, RID) for m in ("m1", "m2")])
    entry = sim.entry(sim.operator(), Role.OPERATOR, body)
    return LogRecord.of(entry, sim.approvals(entry, ["m1", "m2"]))


def test_the_approved_entry_is_accepted_without_its_checks_again(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sim, book = _book(tmp_path)
    record = _releases(sim)
    assert book.propose(record.entry).status is Status.APPROVED
    calls: list[int] = []
    full = rules.check_entry
    monkeypatch.setattr(rules, "check_entry", lambda state, entry: calls.append(entry.seq) or full(state, entry))
    assert book.accept(record).status is Status.APPENDED
    assert calls == [] and book.state(sim.key_id).released(RID, sim.signer("m2").public_key)


def test_an_entry_not_approved_here_is_checked_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim, book = _book(tmp_path)
    record = _releases(sim)  # m1 never saw the proposal
    calls: list[int] = []
    full = rules.check_entry
    monkeypatch.setattr(rules, "check_entry", lambda state, entry: calls.append(entry.seq) or full(state, entry))
    assert book.accept(record).status is Status.APPENDED
    assert calls == [record.entry.seq]


def test_the_approved_core_with_another_signature_is_refused(tmp_path: Path) -> None:
    sim, book = _book(tmp_path)
    record = _releases(sim)
    assert book.propose(record.entry).status is Status.APPROVED
    bad_sig = bytes([record.entry.signature[0] ^ 1]) + record.entry.signature[1:]
    forged = LogRecord.of(replace(record.entry, signature=bad_sig), record.approvals)
    assert forged.entry.digest == record.entry.digest  # the digest does not cover the signature
    answer = book.accept(forged)
    assert answer.status is Status.REFUSED and answer.rule == "entry.signature", answer
    assert book.accept(record).status is Status.APPENDED
