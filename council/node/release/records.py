"""What a member keeps about recovery requests (docs/recovery.md, "Release log", "Manual approval").

```
DIR/log/releases.jsonl               one JSON line per decision, appended and fsynced
DIR/recovery/requests/<id>.json      a request this member must remember: first-seen time (waiting
                                     period) or awaiting approval; written once, atomically
DIR/recovery/approvals/<id>.json     written atomically by `keycouncil member approve`
```

Records hold public identifiers only: request id, operator, app, version, key, epoch, dump digest,
decision and reason; never share bytes. The server reads approvals on each call, so an approval
takes effect without a restart. Request ids are hex (32..128 digits), so they are safe file names.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from council.errors import StorageError
from council.storage.files import write_atomic

LOG_NAME = "releases.jsonl"
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32,128}$")


def check_request_id(request_id: str) -> str:
    """A request id as printed by the member: 32..128 lowercase hex digits."""
    if not REQUEST_ID_RE.match(request_id):
        raise StorageError(f"request id {request_id!r}: expected 32..128 lowercase hex digits")
    return request_id


def utc_now_text() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class ReleaseLog:
    """`DIR/log/releases.jsonl`: every release, refusal and pending decision, fsynced.

    `append` returns only once its line is on disk. Concurrent appends share fsyncs (group
    commit): the first writer to reach the sync lock fsyncs every line written so far, and a
    writer whose line an earlier fsync already covered returns without syncing again. The file
    is opened once (append mode) and kept open: every release used to create the folder and open
    the file twice. A last line torn by a crash is ended with a newline when the file is opened,
    so every record after it is a whole line (a `released` record must never be lost)."""

    def __init__(self, folder: Path, on_sync: Callable[[str], None] | None = None) -> None:
        self.path = folder / "log" / LOG_NAME
        self.on_sync = on_sync
        """Test-only: called with "release-written" before each fsync, "release-synced" after."""
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._written = 0
        self._synced = 0
        self._released: set[str] | None = None
        self._file: BinaryIO | None = None

    def released(self, request_id: str) -> bool:
        """True if this log records a share released for `request_id` (an index kept in memory)."""
        with self._write_lock:
            return request_id in self._released_ids()

    def claim_release(self, request_id: str) -> bool:
        """Reserve the one release of `request_id` (False if it was released or claimed already);
        the caller then appends the `released` record. Two concurrent calls never both win."""
        with self._write_lock:
            ids = self._released_ids()
            if request_id in ids:
                return False
            ids.add(request_id)
            return True

    def _released_ids(self) -> set[str]:
        if self._released is None:
            self._released = {str(e.get("request_id")) for e in self.entries() if e.get("decision") == "released"}
        return self._released

    def append(self, **record: Any) -> None:
        line = json.dumps({"ts": utc_now_text(), **record}, sort_keys=True, default=str) + "\n"
        with self._write_lock:
            os.write(self._fd(), line.encode())
            self._written += 1
            mine = self._written
        with self._sync_lock:
            if self._synced >= mine:
                return
            covered = self._written
            if self.on_sync is not None:
                self.on_sync("release-written")
            os.fsync(self._fd())  # one inode: this syncs every line written through any descriptor
            self._synced = covered
            if self.on_sync is not None:
                self.on_sync("release-synced")

    def _fd(self) -> int:
        """The log's descriptor, opened on first use (closed with this object); a torn last line
        is ended first (`_end_torn_line`)."""
        with self._open_lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
                self._file = os.fdopen(fd, "ab", buffering=0)
                _end_torn_line(fd)
            return self._file.fileno()

    def close(self) -> None:
        """Close the descriptor (the next append opens the file again)."""
        with self._open_lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def entries(self) -> list[dict[str, Any]]:
        """Every record; a line that is not a JSON object in UTF-8 (a line torn by a crash, or
        garbage) is skipped, never an error: the member must still start and answer."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return [r for r in map(_record, data.split(b"\n")) if r is not None]


def _end_torn_line(fd: int) -> None:
    """End a last line left without its newline (a crash in the middle of a write), so that the
    next record starts a line of its own: appended onto the fragment it would not parse, and a
    `released` record lost that way would let the member release the same request again."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        os.write(fd, b"\n")
        # fsynced now, once per start after a crash: every later record then starts on a fresh
        # line on disk, whatever the group commit of `append` does (it covers this byte too, but
        # this way the invariant does not depend on its bookkeeping)
        os.fsync(fd)


def _record(line: bytes) -> dict[str, Any] | None:
    """One line's record, or None for a line that is empty, not UTF-8, not JSON or not an object."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: deeply nested garbage
        return None
    return record if isinstance(record, dict) else None


@dataclass(frozen=True)
class RequestEntry:
    """One remembered request and its state: `pending`, `approved`, `released` or `refused`."""

    request_id: str
    record: dict[str, Any]
    state: str
    approval: dict[str, Any] | None


class RequestBook:
    """`DIR/recovery/`: requests to remember, and approvals."""

    def __init__(self, folder: Path) -> None:
        self.root = folder / "recovery"
        self._lock = threading.Lock()

    def _request_path(self, request_id: str) -> Path:
        return self.root / "requests" / f"{check_request_id(request_id)}.json"

    def _approval_path(self, request_id: str) -> Path:
        return self.root / "approvals" / f"{check_request_id(request_id)}.json"

    def first_seen(self, public: dict[str, Any], now_unix_ms: int) -> int:
        """When this member first saw the request (`public["request_id"]`); remembers it
        (atomically, with its public fields) the first time."""
        path = self._request_path(str(public["request_id"]))
        with self._lock:
            if path.exists():
                return int(_read(path)["first_seen_unix_ms"])
            write_atomic(path, _dumps({**public, "first_seen_unix_ms": now_unix_ms, "first_seen": utc_now_text()}))
            return now_unix_ms

    def approved(self, request_id: str) -> bool:
        return self._approval_path(request_id).exists()

    def approve(self, request_id: str, by: str) -> Path:
        """Record a human approval (refuses an unknown request id)."""
        if not self._request_path(request_id).exists():
            raise StorageError(f"{self.root}: no recovery request {request_id} on this member "
                               "(`keycouncil member requests DIR` lists them)")
        path = self._approval_path(request_id)
        write_atomic(path, _dumps({"request_id": request_id, "approved_by": by, "approved": utc_now_text()}))
        return path

    def entries(self, log: ReleaseLog) -> list[RequestEntry]:
        """Every remembered request, oldest first, with its state from approvals and the log."""
        folder = self.root / "requests"
        if not folder.exists():
            return []
        last: dict[str, str] = {}
        for e in log.entries():
            if e.get("decision") in ("released", "refused"):
                last[str(e.get("request_id"))] = str(e["decision"])
        out = []
        for path in folder.glob("*.json"):
            rec = _read(path)
            rid = path.stem
            approval = _read(self._approval_path(rid)) if self.approved(rid) else None
            state = last.get(rid) or ("approved" if approval else "pending")
            out.append(RequestEntry(rid, rec, state, approval))
        return sorted(out, key=lambda e: int(e.record.get("first_seen_unix_ms", 0)))


def _dumps(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()


def _read(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError) as exc:
        raise StorageError(f"{path}: cannot read ({exc})") from None
    if not isinstance(obj, dict):
        raise StorageError(f"{path}: expected a JSON object")
    return obj
