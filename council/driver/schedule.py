"""Epochs without a human at the keyboard: re-share a key to the same roster on a schedule.

`ReshareScheduler.run` loops until stopped: (1) wait until the next epoch change is due (each
wait is `every × (1 ± jitter)`, at random), trying a catch-up of members that are behind every
`catch_up_every` seconds meanwhile; (2) ask the approval step (`Approver`, one call: `keycouncil ceremony
reshare --every` asks the council log, council.driver.schedule_approval); (3) run the
re-share with the members that answer: up to `n − t` may be down, they are named in the report;
(4) catch up whoever missed it, now and at every later catch-up tick, so a member that comes back
derives its share from the transcript (council.driver.catchup). A failed re-share is retried
after `retry_after` seconds. A stop request (SIGTERM) ends the wait at once; a ceremony in
progress finishes first (it is bounded by the call timeouts).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from council.driver.catchup import run_catch_up
from council.driver.ceremony import CeremonyReport, run_reshare
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import KeycouncilError
from council.roster import Roster
from council.storage.files import write_atomic

SCHEDULE_DIR = "schedule"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


class ScheduleError(KeycouncilError):
    """A schedule option is malformed."""


def parse_duration(text: str, what: str = "--every") -> float:
    """`90`, `30s`, `15m`, `6h`, `1d`, `1h30m` → seconds (at least 1)."""
    t = text.strip().lower()
    try:
        seconds = float(t)
    except ValueError:
        parts = _DURATION.findall(t)
        if not parts or "".join(n + u for n, u in parts) != t:
            raise ScheduleError(f"{what} {text!r}: expected a duration such as 30s, 15m, 6h, 1d or 1h30m") from None
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds < 1:
        raise ScheduleError(f"{what} {text!r}: at least 1 second")
    return seconds


@dataclass(frozen=True)
class ReshareProposal:
    """What the scheduler asks the approval step about."""

    key_id: str
    roster_digest: bytes
    reason: str = "scheduled re-share to the same roster"


@dataclass(frozen=True)
class Approval:
    approved: bool
    why: str


Approver = Callable[[ReshareProposal], Approval]
"""The one approval call (council.driver.schedule_approval decides it from the council log)."""


def auto_approve_same_roster(proposal: ReshareProposal) -> Approval:
    """Without a log to ask (tests of the loop itself): a same-roster re-share changes no one's role."""
    return Approval(True, "same-roster re-share, approved without reading the council log")


@dataclass(frozen=True)
class Schedule:
    every: float
    jitter: float = 0.1
    catch_up_every: float | None = None
    retry_after: float | None = None
    max_epochs: int | None = None

    def wait(self, rng: secrets.SystemRandom) -> float:
        return self.every * (1 + rng.uniform(-self.jitter, self.jitter))


@dataclass
class Tick:
    """One thing the scheduler did, for the caller to print."""

    kind: str                       # "scheduled", "epoch-change", "failed", "catch-up", "refused", "stopped"
    at_unix_ms: int
    next_unix_ms: int | None = None
    report: CeremonyReport | None = None
    catch_up: dict[str, str] = field(default_factory=dict)
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "at_unix_ms": self.at_unix_ms, "next_unix_ms": self.next_unix_ms,
                               "detail": self.detail or None}
        if self.report is not None:
            out["ceremony"] = self.report.to_json()
        if self.catch_up:
            out["catch_up"] = [{"name": n, "result": r} for n, r in self.catch_up.items()]
        return out


def state_path(operator_dir: Path, key_id: str) -> Path:
    """Where the scheduler keeps its last and next epoch change (read by `council status`)."""
    return operator_dir / SCHEDULE_DIR / f"{key_id}.json"


def read_state(operator_dir: Path, key_id: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(state_path(operator_dir, key_id).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


class ReshareScheduler:
    """Steps (1)-(4), until `stop` is set."""

    def __init__(self, roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing,
                 schedule: Schedule, on_tick: Callable[[Tick], None], approve: Approver = auto_approve_same_roster,
                 clock: Callable[[], float] = time.time) -> None:
        self.roster, self.key_id, self.operator, self.timing = roster, key_id, operator, timing
        self.schedule, self.on_tick, self.approve, self.clock = schedule, on_tick, approve, clock
        self.rng = secrets.SystemRandom()
        self.epochs_done = 0
        self.behind: set[str] = set()
        self.last_change_ms: int | None = None

    def run(self, stop: threading.Event) -> int:
        """Loop; returns the number of epoch changes committed."""
        due = self.clock() + self.schedule.wait(self.rng)
        self._tick(Tick("scheduled", self._now(), int(due * 1000)))
        while not stop.is_set():
            if self._finished():
                break
            if self.clock() < due or self._max_reached():
                self._wait(stop, due)
                continue
            due = self._due_change()                                               # (2)-(4)
        self._tick(Tick("stopped", self._now(), None, detail=f"{self.epochs_done} epoch changes"))
        return self.epochs_done

    def _finished(self) -> bool:
        return self._max_reached() and not self.behind

    def _max_reached(self) -> bool:
        return self.schedule.max_epochs is not None and self.epochs_done >= self.schedule.max_epochs

    def _wait(self, stop: threading.Event, due: float) -> None:
        """Step (1): sleep until due, catching up members behind at each catch-up tick."""
        tick = self.schedule.catch_up_every or self.schedule.every / 4
        if stop.wait(max(0.0, min(tick, due - self.clock()) if not self._max_reached() else tick)):
            return
        if self.behind:
            self._catch_up()

    def _due_change(self) -> float:
        proposal = ReshareProposal(self.key_id, self.roster.digest())
        verdict = self.approve(proposal)                                            # (2)
        if not verdict.approved:
            due = self.clock() + self.schedule.wait(self.rng)
            self._tick(Tick("refused", self._now(), int(due * 1000), detail=verdict.why))
            return due
        try:
            report = run_reshare(self.roster, self.roster, self.key_id, self.operator, self.timing)  # (3)
        except KeycouncilError as exc:
            report = None
            failure = str(exc)
        if report is None or not report.committed:
            retry = self.schedule.retry_after or min(self.schedule.every, 60.0)
            due = self.clock() + retry
            self._tick(Tick("failed", self._now(), int(due * 1000), report,
                            detail=failure if report is None else report.failure))
            return due
        self.epochs_done += 1
        self.last_change_ms = self._now()
        self.behind = set(report.missing) | set(report.problems)
        due = self.clock() + self.schedule.wait(self.rng)
        self._tick(Tick("epoch-change", self._now(), None if self._max_reached() else int(due * 1000), report))
        if self.behind:
            self._catch_up()                                                        # (4)
        return due

    def _catch_up(self) -> None:
        try:
            result = run_catch_up(self.roster, self.key_id, self.operator, self.timing)
        except KeycouncilError as exc:
            self._tick(Tick("catch-up", self._now(), detail=f"not possible now: {exc}"))
            return
        behind = {n for n, what in result.items() if what.startswith("not caught up")}
        done = {n: w for n, w in result.items() if n in self.behind and n not in behind}
        self.behind = behind
        if done:
            self._tick(Tick("catch-up", self._now(), catch_up=done))

    def _tick(self, tick: Tick) -> None:
        self._save(tick)
        self.on_tick(tick)

    def _save(self, tick: Tick) -> None:
        doc = {"key_id": self.key_id, "roster_digest": self.roster.digest().hex(),
               "every_seconds": self.schedule.every, "jitter": self.schedule.jitter,
               "last_change_unix_ms": self.last_change_ms, "epochs_changed": self.epochs_done,
               "next_unix_ms": tick.next_unix_ms if tick.kind != "stopped" else None,
               "running": tick.kind != "stopped", "behind": sorted(self.behind), "updated_unix_ms": self._now()}
        if tick.kind in ("catch-up",):
            previous = read_state(self.operator.path, self.key_id) or {}
            doc["next_unix_ms"] = previous.get("next_unix_ms")
        write_atomic(state_path(self.operator.path, self.key_id),
                     (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())

    def _now(self) -> int:
        return int(self.clock() * 1000)
