"""The members' operators in the demo: each approves what waits in its member's folder, and says so.

A real operator reads `keycouncil member pending DIR` and runs `keycouncil member approve DIR ID`
after checking the entry; the demo's operators approve every entry the demo itself proposed (the
roster change, the recovery request), from a thread that watches the member folders, and the demo
prints who approved what. They never approve the rogue operator's roster: that is the point.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from council.errors import KeycouncilError
from council.log import Entry
from council.node.log_book import folder_logbook


class DemoOperators:
    """Approves, on each member folder, the pending entries that `accept(entry)` says to approve."""

    def __init__(self, folders: Callable[[], dict[str, Path]], accept: Callable[[Entry], bool]) -> None:
        self.folders = folders
        self.accept = accept
        self.approved: dict[str, list[str]] = {}
        """entry id → names of the members whose operators approved it"""
        self.kinds: dict[str, str] = {}
        self._told: set[str] = set()
        self._lock = threading.Lock()

    def approve_pending(self) -> None:
        """One pass over every member folder."""
        for name, folder in sorted(self.folders().items()):
            book = folder_logbook(folder)
            for entry in book.pending():
                if self.accept(entry):
                    try:
                        book.operator_approve(entry.id)
                    except KeycouncilError:
                        continue  # accepted or superseded meanwhile: nothing left to approve
                    with self._lock:
                        self.approved.setdefault(entry.id, []).append(name)
                        self.kinds[entry.id] = f"{entry.kind.label} entry {entry.seq}"

    @contextmanager
    def watching(self, every: float = 0.1) -> Iterator[None]:
        """Approve in the background while the block runs."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                self.approve_pending()
        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def lines(self) -> list[str]:
        """"the operators of member-1, member-2 and member-3 approved roster-proposed entry 1", for
        each entry approved since the last call."""
        with self._lock:
            new = [i for i in self.approved if i not in self._told]
            self._told.update(new)
            return [f"the operators of {_span(sorted(set(self.approved[i]), key=_number))} approved "
                    f"{self.kinds[i]} (as real operators would, after checking it)" for i in new]


def _number(name: str) -> int:
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits) if digits else 0


def _span(names: list[str]) -> str:
    return f"{names[0]} to {names[-1]}" if len(names) > 2 else " and ".join(names)
