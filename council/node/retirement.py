"""Retired keys on a member: erase every share once the waiting period has passed here.

A key-retired entry takes effect on each member when its waiting period has passed since *this
member* saw the entry accepted (the time stored with the record, docs/log-format.md). Then the
member erases, for every epoch of the key (docs/operators.md, "Retirement"):

(1) the sealed share (`share.sealed`: overwritten, unlinked, folder fsynced) and marks the epoch
    record `holds_share: false`;
(2) any temporary copy a crash left beside a file (`.NAME.XXXXXXXX.tmp` of `write_atomic`, removed
    by `sweep_temporaries`, which leaves a live writer's file alone);
(3) the ceremony transcript (`transcript.bin`) and the key's ceremony folders: their dealings hold
    this member's share encrypted to its long-term encryption key, so keeping them would keep the
    share in all but name.

The public epoch record (`epoch.json`, `request.bin`) stays, so the member still answers for the
key's history and the log's witness checks. `RetirementTimer` runs the check when the next waiting
period ends (and at least once a minute), woken early by every accepted entry; `open_member` runs
it at start-up, before the stored shares are checked.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from council.errors import KeycouncilError
from council.log import LogState
from council.node.events import EventLog
from council.node.keystore import KeyStore
from council.node.log_book import LogBook
from council.protocol.ceremony_request import SignedRequest
from council.storage.files import TEMP_RE, fsync_dir, remove_durably, sweep_temporaries

MAX_SLEEP_SECONDS = 60.0
TRANSCRIPT = "transcript.bin"


@dataclass(frozen=True)
class Erased:
    """What one sweep erased for one retired key."""

    key_id: str
    seq: int
    shares: tuple[int, ...]
    other_files: int


def _temp_copies(folder: Path) -> Iterator[Path]:
    """Temporary files of `write_atomic` under `folder` (`.NAME.HEX.tmp`)."""
    return (p for p in folder.rglob(".*.tmp") if TEMP_RE.match(p.name) and p.is_file()) if folder.exists() \
        else iter(())


def leftovers(store: KeyStore, ceremonies: Path, key_id: str) -> list[Path]:
    """Every file of `key_id` that a retirement erases and that is still there."""
    out: list[Path] = []
    for epoch_dir in _epoch_dirs(store, key_id):
        out += [p for p in (epoch_dir / "share.sealed", epoch_dir / TRANSCRIPT) if p.exists()]
    out += _listed(lambda: list(_temp_copies(store.root / key_id)))
    for folder in _ceremonies_of(ceremonies, key_id):
        out += _listed(_files_under(folder), [folder])
    return out


def _files_under(folder: Path) -> Callable[[], list[Path]]:
    return lambda: [p for p in folder.rglob("*") if p.is_file()]


def _listed(listing: Callable[[], list[Path]], gone: list[Path] | None = None) -> list[Path]:
    """A folder listing; a folder removed while it is listed (an erasure under way) lists as
    `gone` (still something to erase, as far as the caller can tell)."""
    try:
        return listing()
    except FileNotFoundError:
        return gone or []


def _epoch_dirs(store: KeyStore, key_id: str) -> list[Path]:
    folder = store.root / key_id
    return sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()) if folder.exists() else []


def _ceremonies_of(root: Path, key_id: str) -> list[Path]:
    out = []
    for folder in sorted(root.iterdir()) if root.exists() else ():
        request = folder / "request.bin"
        try:
            if folder.is_dir() and request.exists() and \
                    SignedRequest.from_bytes(request.read_bytes()).request.key_id == key_id:
                out.append(folder)
        except (KeycouncilError, OSError):
            continue  # not a ceremony of a key this member can read: left alone
    return out


def erase_key(store: KeyStore, ceremonies: Path, key_id: str, seq: int, events: EventLog) -> Erased:
    """Steps (1)-(3) for one retired key; safe to repeat (a crash midway is finished next time)."""
    shares = []
    for epoch in store.epochs(key_id):                                                  # (1)
        if store.erase_share(key_id, epoch):
            events.event("share-erased", key_id=key_id, epoch=epoch, reason=f"key retired (log entry {seq})")
            shares.append(epoch)
    others = len(sweep_temporaries(store.root / key_id))                               # (2)
    for epoch_dir in _epoch_dirs(store, key_id):                                       # (3)
        if (epoch_dir / TRANSCRIPT).exists():
            remove_durably(epoch_dir / TRANSCRIPT)
            others += 1
    for folder in _ceremonies_of(ceremonies, key_id):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            remove_durably(path)
            others += 1
        shutil.rmtree(folder, ignore_errors=True)
        fsync_dir(ceremonies)
    if shares or others:
        events.event("key-retired-erased", key_id=key_id, log_entry=seq, shares_erased=shares,
                     other_files_erased=others)
    return Erased(key_id, seq, tuple(shares), others)


def due_keys(book: LogBook, now_ms: int) -> list[tuple[str, LogState]]:
    """Retired keys whose waiting period has passed on this member."""
    return [(k, s) for k in book.key_ids() if (s := book.acting(k)).erase_due(now_ms)]


def next_due_ms(book: LogBook, store: KeyStore, ceremonies: Path) -> int | None:
    """When the next retired key with something left to erase falls due (unix ms), or None."""
    times = []
    for key_id in book.key_ids():
        r = book.acting(key_id).retired
        if r is not None and r.accepted_at_ms is not None and leftovers(store, ceremonies, key_id):
            times.append(r.accepted_at_ms + r.waiting_period_ms)
    return min(times) if times else None


class RetirementTimer:
    """A daemon thread that runs `sweep` when the next waiting period ends (at least once a
    minute), and at once when `wake` is set (the node sets it for every accepted entry)."""

    def __init__(self, sweep: Callable[[], object], next_due: Callable[[], int | None], clock: Callable[[], int],
                 wake: threading.Event, events: EventLog, max_sleep: float = MAX_SLEEP_SECONDS) -> None:
        self.sweep, self.next_due, self.clock, self.wake = sweep, next_due, clock, wake
        self.events, self.max_sleep = events, max_sleep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retirement-timer", daemon=True)

    def start(self) -> RetirementTimer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(5)

    def _delay(self) -> float:
        due = self.next_due()
        if due is None:
            return self.max_sleep
        return min(self.max_sleep, max(0.0, (due - self.clock()) / 1000) + 0.01)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
                delay = self._delay()
            except (KeycouncilError, OSError) as exc:  # a damaged file: say so, try again later
                self.events.event("retirement-check-failed", reason=str(exc)[:300])
                delay = self.max_sleep
            self.wake.wait(delay)
            self.wake.clear()
