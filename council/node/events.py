"""Structured logs: one JSON object per line and per event, to stderr and `log/events.jsonl`.

Events carry public identifiers only (member names and indices, key ids, epochs, ceremony ids,
error messages, which never hold secret bytes by the rule of `council.errors`).
"""

from __future__ import annotations

import datetime
import json
import sys
import threading
from pathlib import Path
from typing import IO, Any

from council.errors import bounded

MAX_FIELD = 2048
"""Longest text field an event keeps (events may quote untrusted input; the rest is cut)."""


class EventLog:
    """Writes events as JSON lines; thread-safe."""

    def __init__(self, member: str, path: Path | None = None, stream: IO[str] | None = None,
                 echo: bool = True) -> None:
        self.member = member
        self.path = path
        self.stream = stream if stream is not None else sys.stderr
        self.echo = echo
        self._lock = threading.Lock()

    def event(self, event: str, **fields: Any) -> None:
        """Record one event."""
        fields = {k: bounded(v, MAX_FIELD) if isinstance(v, str) else v for k, v in fields.items()}
        record = {"ts": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                  "member": self.member, "event": event, **fields}
        line = json.dumps(record, sort_keys=True, default=str)
        with self._lock:
            if self.echo:
                self.stream.write(line + "\n")
                self.stream.flush()
            if self.path is not None:
                _append(self.path, line + "\n")


def _append(path: Path, text: str) -> None:
    """Append to the file, opened for each event (a rotated file is followed at once); the folder
    is made only when the file cannot be opened without it (one system call less per event)."""
    try:
        f = open(path, "a", encoding="utf-8")  # noqa: SIM115  (closed just below)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(path, "a", encoding="utf-8")  # noqa: SIM115
    with f:
        f.write(text)
