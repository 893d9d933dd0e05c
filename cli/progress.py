"""Progress of large dumps (seal, verify, open, publish, recover) on stderr, only on a terminal.

One line, redrawn at most ten times a second: `publishing app-v4.kcdump: 512/1024 MiB  50%  210
MiB/s`. Nothing at all is written when stderr is not a TTY (piped, redirected, captured), or when
the dump is smaller than `MIN_BYTES`; with an unknown size the line appears once that many bytes
went by.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

MIN_BYTES = 16 * 1024 * 1024
REDRAW_SECONDS = 0.1
MIB = 1024 * 1024


class Bar:
    """Counts bytes and redraws one status line; `finish` ends the line if one was drawn."""

    def __init__(self, label: str, total: int | None, stream: TextIO,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.total, self.stream, self.clock = label, total, stream, clock
        self.done, self.started, self.drawn_at = 0, clock(), -1.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = self.clock()
        if now - self.drawn_at >= REDRAW_SECONDS and self._worth_showing():
            self._draw(now)

    def finish(self) -> None:
        if self.drawn_at >= 0:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        """The status text at time `now`."""
        rate = self.done / MIB / max(now - self.started, 1e-6)
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            return (f"{self.label}: {self.done // MIB}/{self.total // MIB} MiB {percent:3d}%  "
                    f"{rate:.0f} MiB/s")
        return f"{self.label}: {self.done // MIB} MiB  {rate:.0f} MiB/s"

    def _worth_showing(self) -> bool:
        return (self.total or self.done) >= MIN_BYTES

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self.drawn_at = now


@contextmanager
def progress(total: int | None, label: str,
             stream: TextIO | None = None) -> Iterator[Callable[[int], None] | None]:
    """A byte counter that draws on `stream` (stderr) when it is a terminal, else None."""
    out = stream or sys.stderr
    if (total is not None and total < MIN_BYTES) or not out.isatty():
        yield None
        return
    bar = Bar(label, total, out)
    try:
        yield bar
    finally:
        bar.finish()
