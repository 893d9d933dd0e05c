"""Reading a member's append-only JSON-lines logs incrementally (events, releases).

Metrics and `member status` count what the logs say instead of hooking into every code path:
the logs are already the record of what happened, fsynced, and they survive restarts, so a
counter read from them never goes back. A reader keeps its offset and reads only new whole lines.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any


class LogTail:
    """New records of one JSON-lines file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new_records(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as f:
                if f.seek(0, 2) < self.offset:  # replaced or truncated: read again from the start
                    self.offset = 0
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.offset += end
        out = []
        for line in data[:end].splitlines():
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a damaged line is skipped, not fatal for monitoring
            if isinstance(record, dict):
                out.append(record)
        return out


def last_records(path: Path, count: int) -> list[dict[str, Any]]:
    """The last `count` records of a JSON-lines file (oldest first)."""
    tail: deque[dict[str, Any]] = deque(maxlen=count)
    tail.extend(LogTail(path).new_records())
    return list(tail)
