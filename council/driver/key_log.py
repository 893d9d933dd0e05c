"""Rotating and retiring a key through its council log (docs/operators.md, "Rotation", "Retirement").

Both are widening entries authored by an operator of the key's current roster: (1) read the key's
log from the roster's members (the longest copy that verifies); (2) check what the log's rules would
refuse anyway, with a clearer message (not started, already rotated or retired, successor unknown);
(3) sign the entry at the head and propose it; each member approves only once its operator did
(`keycouncil member approve DIR ID`) or its governance.toml allows it; (4) with `t` approvals the
record goes to every member. Proposing again after the approvals gives the same entry (Ed25519 is
deterministic), so the operator simply runs the command again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from council.bundle import LogNotice
from council.driver.log_client import AppendReport, LogClient, operator_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.log import Body, KeyRetired, KeyRotated, LogRecord, LogState
from council.log.kinds import Kind
from council.roster import Roster


class KeyChangeRefused(PolicyRefused):
    """The key's log makes this rotation or retirement impossible; the message says why."""


@dataclass(frozen=True)
class KeyChange:
    """The outcome of `key rotate` / `key retire`: accepted now, accepted before, or waiting."""

    kind: Kind
    key_id: str
    status: str
    """"accepted", "already" (an earlier accepted entry says so) or "waiting" (approvals missing)."""
    seq: int
    entry_id: str
    report: AppendReport | None = None
    detail: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in ("accepted", "already")

    def lines(self) -> list[str]:
        if self.status == "already":
            return [f"key {self.key_id}: already {self.kind.label} at log entry {self.seq} (id {self.entry_id})",
                    *self.detail]
        assert self.report is not None
        out = [self.report.summary(), *self.detail]
        if not self.report.accepted:
            out.append(f"entry id {self.entry_id}: each member's operator approves it with "
                       f"`keycouncil member approve DIR {self.entry_id}`, then run this command again")
        return out

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind.label, "key_id": self.key_id, "status": self.status,
                                  "accepted": self.accepted, "id": self.entry_id, "seq": self.seq}
        if self.report is not None:
            out.update(threshold=self.report.threshold, approved_by=self.report.approved_by,
                       missing=self.report.missing, appended=dict(sorted(self.report.appended.items())))
        return out


def log_notices(records: Sequence[LogRecord]) -> tuple[LogNotice, ...]:
    """The accepted key-rotated and key-retired entries of a verified log, as bundle notices."""
    out = []
    for r in records:
        body = r.entry.body
        if isinstance(body, KeyRotated):
            out.append(LogNotice(Kind.KEY_ROTATED.label, r.entry.seq, r.entry.id, body.successor_key_id))
        elif isinstance(body, KeyRetired):
            out.append(LogNotice(Kind.KEY_RETIRED.label, r.entry.seq, r.entry.id))
    return tuple(out)


def _entry_of(records: Sequence[LogRecord], kind: Kind) -> LogRecord:
    return next(r for r in records if r.entry.kind is kind)


def _started(state: LogState, key_id: str) -> None:
    if not state.started:
        raise KeyChangeRefused(f"key {key_id!r} has no council log on these members (no accepted genesis entry); "
                               "is --roster the roster of its current epoch?")


def _append(client: LogClient, state: LogState, operator: OperatorFolder, body: Body,
            detail: list[str]) -> KeyChange:
    entry = operator_entry(operator, state, body)
    report = client.append(state, entry)
    return KeyChange(entry.kind, state.key_id, "accepted" if report.accepted else "waiting", entry.seq, entry.id,
                     report, detail)


def rotate_key(roster: Roster, key_id: str, successor: str, operator: OperatorFolder, timing: Timing,
               successor_roster: Roster | None = None) -> KeyChange:
    """Append key-rotated to `key_id`'s log, naming `successor` (whose log must be started, on the
    members of `successor_roster`, default the same roster)."""
    if successor == key_id:
        raise KeyChangeRefused(f"key {key_id!r} cannot be its own successor")
    with LogClient(roster.members, operator, timing) as client:
        state, records = client.read(key_id)
        _started(state, key_id)
        if state.successor is not None:
            done = _entry_of(records, Kind.KEY_ROTATED)
            if state.successor != successor:
                raise KeyChangeRefused(f"key {key_id!r} already names successor {state.successor!r} (log entry "
                                       f"{done.entry.seq}); a key is rotated once")
            return KeyChange(Kind.KEY_ROTATED, key_id, "already", done.entry.seq, done.entry.id)
        if state.retired is not None:
            raise KeyChangeRefused(f"key {key_id!r} is retired (log entry {state.retired.seq}): it is not rotated")
        detail = [_successor_check(successor, successor_roster or roster, operator, timing)]
        return _append(client, state, operator, KeyRotated(successor), detail)


def _successor_check(successor: str, roster: Roster, operator: OperatorFolder, timing: Timing) -> str:
    with LogClient(roster.members, operator, timing) as client:
        state, _ = client.read(successor)
    if not state.started:
        raise KeyChangeRefused(f"the successor key {successor!r} has no council log on the members of its roster "
                               f"(run `keycouncil ceremony dkg --key-id {successor}` first, or pass "
                               "--successor-roster)")
    return f"successor key {successor!r}: epoch {state.epoch}, public key {state.public_key.hex()}"


def retire_key(roster: Roster, key_id: str, waiting_period_ms: int, reason: str, operator: OperatorFolder,
               timing: Timing) -> KeyChange:
    """Append key-retired to `key_id`'s log: irreversible; each member erases every share of the key
    once the waiting period has passed since it saw the entry accepted."""
    with LogClient(roster.members, operator, timing) as client:
        state, records = client.read(key_id)
        _started(state, key_id)
        if state.retired is not None:
            done = _entry_of(records, Kind.KEY_RETIRED)
            assert isinstance(done.entry.body, KeyRetired)
            return KeyChange(Kind.KEY_RETIRED, key_id, "already", done.entry.seq, done.entry.id,
                             detail=[f"waiting period {format_ms(done.entry.body.waiting_period_ms)}"])
        detail = [f"after acceptance each member erases every share of key {key_id!r} once "
                  f"{format_ms(waiting_period_ms)} have passed since it saw the entry accepted"]
        return _append(client, state, operator, KeyRetired(waiting_period_ms, reason), detail)


def format_ms(ms: int) -> str:
    """A waiting period for people: 7d, 36h, 90s, 250ms."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
