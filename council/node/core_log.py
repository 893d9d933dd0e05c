"""Refused TLS handshakes in the member's events.jsonl (issue 3/7, defect 7; docs/decisions.md 89).

A handshake the member refuses (a client certificate of no roster, a plain-HTTP or garbage
client) fails inside gRPC's C core before any Python code of ours runs: no interceptor, servicer
or credentials callback hears of it. What the core does do is write one line per failed handshake
to the process's standard error (`ssl_transport_security.cc:…] Handshake failed with error
SSL_ERROR_SSL: …:CERTIFICATE_VERIFY_FAILED: …`, at INFO level, which gRPC prints by default).

So `member serve` puts a pipe under file descriptor 2 (`CoreLogWatch`): a thread reads it, copies
every byte on to the original standard error unchanged (the operator's logs lose nothing), and
turns each handshake line into a `tls-handshake-refused` event, once per OpenSSL reason per
`LOG_INTERVAL` with the number left out (`RateLimitedLog`, as for undecodable requests). The
events go through an event log of their own that echoes to the original standard error, never
to the pipe, so the thread never waits on itself. The core's line names no peer address, so the
event has none. With `GRPC_VERBOSITY` set to hide INFO lines there is nothing to read: the watch
says so once at start (`tls-refusals-not-logged`).
"""

from __future__ import annotations

import os
import re
import threading

from council.node.events import EventLog
from council.node.limits import LOG_INTERVAL, RateLimitedLog

HANDSHAKE = re.compile(rb"^[IWEF]\d{4} [\d:.]+\s+\d+ ssl_transport_security\.cc:\d+\] "
                       rb"Handshake failed with (?:fatal )?error (\w+): (.{0,400})")
"""gRPC core's line for a failed TLS handshake (its log prefix: level, date, time, thread id)."""
REASON = re.compile(rb"OPENSSL_internal:(\w+)")
QUIET = ("ERROR", "NONE")
MAX_LINE = 8192
"""A partial line longer than this is passed on and not matched (the core's lines are short)."""


def handshake_refusal(line: bytes) -> tuple[str, str] | None:
    """(reason class, text) if `line` is gRPC core's record of a failed TLS handshake."""
    m = HANDSHAKE.match(line)
    if m is None:
        return None
    text = m.group(2).decode("utf-8", "replace").strip()
    reason = REASON.search(m.group(2))
    return (reason.group(1).decode() if reason else m.group(1).decode()), text


class CoreLogWatch:
    """Standard error through a pipe: copied on unchanged, handshake refusals turned into events."""

    def __init__(self, events: EventLog, interval: float = LOG_INTERVAL) -> None:
        self._saved = os.dup(2)
        self._echo = os.fdopen(os.dup(self._saved), "w", buffering=1, encoding="utf-8", errors="replace")
        own = EventLog(events.member, events.path, stream=self._echo, echo=events.echo)
        self.log = RateLimitedLog(own, interval)
        self._own = own
        self._thread: threading.Thread | None = None
        self._read_end = -1

    @classmethod
    def start(cls, events: EventLog, interval: float = LOG_INTERVAL) -> CoreLogWatch:
        watch = cls(events, interval)
        verbosity = os.environ.get("GRPC_VERBOSITY", "").upper()
        if verbosity in QUIET:
            watch._own.event("tls-refusals-not-logged", reason=f"GRPC_VERBOSITY={verbosity} hides gRPC's "
                             "handshake lines; unset it (or set INFO) to log refused TLS handshakes")
        r, w = os.pipe()
        os.dup2(w, 2)
        os.close(w)
        watch._read_end = r
        watch._thread = threading.Thread(target=watch._run, name="core-log", daemon=True)
        watch._thread.start()
        return watch

    def stop(self) -> None:
        """Put the original standard error back; the thread ends once the pipe is drained."""
        os.dup2(self._saved, 2)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._echo.close()
        os.close(self._saved)

    def _run(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._read_end, 65536)
            except OSError:
                break
            if not chunk:
                break
            self._pass_on(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LINE:
                pending = b""
            for line in lines:
                try:
                    self._look_at(line)
                except Exception:  # noqa: BLE001 - this thread must outlive any one line, or stderr blocks
                    continue
        os.close(self._read_end)

    def _pass_on(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._saved, view):]
            except OSError:
                return  # the original standard error is gone: keep draining the pipe all the same

    def _look_at(self, line: bytes) -> None:
        found = handshake_refusal(line)
        if found is None:
            return
        reason, text = found
        self.log.event("tls-handshake-refused", reason, reason=reason, detail=text[:300],
                       note="the TLS handshake failed in gRPC's core (a client certificate this member "
                            "does not trust, or not a TLS client); the core names no peer address")

