"""Bounded resources at the member's gRPC edge (issue 3/7, defect 4).

Every unary call passes through `Limits` before its request message is read:

1. A call of a large-message method (Check, Output, CatchUp) takes one of `BIG_CALLS` slots for its
   whole run; (2) every call takes one of `RECEIVE_SLOTS` while its message is received and
   parsed. A request's message is only read from the connection once the call holds its slot, so
   memory for requests in flight is bounded by about RECEIVE_SLOTS × MAX_RECEIVE (raw) plus the
   parsed messages of BIG_CALLS large calls, however many calls arrive at once.
3. The message must fit the method's own limit (`METHOD_LIMITS`, each justified below); gRPC itself
   refuses anything above MAX_RECEIVE from its length prefix, before reading it.
4. An undecodable or oversized request is answered INVALID_ARGUMENT or RESOURCE_EXHAUSTED with a
   short text, and logged once per kind and method per `LOG_INTERVAL` (with the count suppressed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from council.node.events import EventLog

KiB, MiB = 1 << 10, 1 << 20
MEMBER = "/keycouncil.council.v1.Member/"
RECOVERY = "/keycouncil.recovery.v1.Recovery/"
LOG = "/keycouncil.log.v1.CouncilLog/"

# The largest legitimate messages are those of a ceremony of 256 members (the largest council the
# benchmarks run): a dealing carries t commitments (33 B) and n encrypted shares (~100 B), ~35 KB
# each, so the dealings relayed to Check are ~9 MB; a transcript for CatchUp holds those and the
# responses; Output relays n responses (complaints are rare, each ~200 B). 16 MiB covers them.
MAX_RECEIVE = 16 * MiB
REQUEST_BEARING = 4 * MiB
"""Deal and Finalize carry the operator-signed request: two rosters of up to 256 member cards with
PEM certificates (~1.3 KB each) and the previous epoch's 256 verification shares, ~1 MB, plus
commit signatures and stored confirmations (~110 B per receiver)."""
SMALL = 64 * KiB
"""Queries (GetEpoch, GetTranscript, GetCeremony, Status, health): a key id of at most 64
characters, a 16-byte ceremony id, integers."""

METHOD_LIMITS: dict[str, int] = {
    MEMBER + "Deal": REQUEST_BEARING,
    MEMBER + "Check": MAX_RECEIVE,
    MEMBER + "Output": MAX_RECEIVE,
    MEMBER + "Finalize": REQUEST_BEARING,
    MEMBER + "CatchUp": MAX_RECEIVE,
    # A recovery request: the dump reference (header ≤ 64 KiB with its evidence, trailer), rosters
    # by digest only, one signature; council.node.recovery_service refuses more than 1 MiB anyway.
    RECOVERY + "Decrypt": MiB + 4 * KiB,
    # A council-log entry may carry a whole roster (a roster change: up to 256 cards, ~400 KB), a
    # record adds up to n approvals (~100 B each). GetLog and Author carry a key id and integers.
    LOG + "Propose": REQUEST_BEARING,
    LOG + "Accept": REQUEST_BEARING,
}
BIG_METHODS = frozenset({MEMBER + "Check", MEMBER + "Output", MEMBER + "CatchUp"})
RECEIVE_SLOTS = 3
BIG_CALLS = 2
SLOT_WAIT_SECONDS = 30.0
LOG_INTERVAL = 60.0


class _Refused:
    """What the checking deserializer returns instead of a message it will not parse."""

    def __init__(self, code: grpc.StatusCode, event: str, text: str) -> None:
        self.code, self.event, self.text = code, event, text


class RateLimitedLog:
    """One event per (event, key) per interval; the next one says how many were left out."""

    def __init__(self, log: EventLog, interval: float = LOG_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.interval, self.clock = log, interval, clock
        self._last: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def event(self, event: str, key: str, **fields: Any) -> None:
        now = self.clock()
        with self._lock:
            last, suppressed = self._last.get((event, key), (None, 0))
            if last is not None and now - last < self.interval:
                self._last[(event, key)] = (last, suppressed + 1)
                return
            self._last[(event, key)] = (now, 0)
        self.log.event(event, suppressed_since_last=suppressed, **fields)


class Limits(grpc.ServerInterceptor):  # type: ignore[misc]
    """Steps (1)-(4) for every unary-request method of the server."""

    def __init__(self, log: EventLog) -> None:
        self.receive = threading.BoundedSemaphore(RECEIVE_SLOTS)
        self.big = threading.BoundedSemaphore(BIG_CALLS)
        self.log = RateLimitedLog(log)

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        if handler is None or handler.request_streaming or handler.unary_unary is None:
            return handler
        method: str = details.method
        limit = METHOD_LIMITS.get(method, SMALL)
        parse = handler.request_deserializer

        def checked(raw: bytes) -> Any:                                                  # (3)
            if len(raw) > limit:
                return _Refused(grpc.StatusCode.RESOURCE_EXHAUSTED, "oversized-request",
                                f"{method}: request of {len(raw)} bytes, at most {limit}")
            try:
                return parse(raw) if parse is not None else raw
            except Exception:  # noqa: BLE001 - any parse failure of untrusted bytes is the caller's
                return _Refused(grpc.StatusCode.INVALID_ARGUMENT, "undecodable-request",
                                f"{method}: the request does not decode as its protobuf message")

        def behavior(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            big = method in BIG_METHODS
            if big and not self.big.acquire(timeout=SLOT_WAIT_SECONDS):                  # (1)
                self._refuse(context, method, _busy(method))
            try:
                request = self._receive(requests, context, method)                      # (2)
                if isinstance(request, _Refused):                                        # (4)
                    self._refuse(context, method, request)
                return handler.unary_unary(request, context)
            finally:
                if big:
                    self.big.release()

        return grpc.stream_unary_rpc_method_handler(behavior, request_deserializer=checked,
                                                    response_serializer=handler.response_serializer)

    def _receive(self, requests: Iterator[Any], context: grpc.ServicerContext, method: str) -> Any:
        if not self.receive.acquire(timeout=SLOT_WAIT_SECONDS):
            self._refuse(context, method, _busy(method))
        try:
            request = next(requests, None)
        finally:
            self.receive.release()
        if request is None:
            return _Refused(grpc.StatusCode.INVALID_ARGUMENT, "undecodable-request", f"{method}: no request message")
        return request

    def _refuse(self, context: grpc.ServicerContext, method: str, why: _Refused) -> None:
        self.log.event(why.event, method, rpc=method, code=why.code.name, reason=why.text,
                       peer=context.peer()[:80])
        context.abort(why.code, why.text)


def _busy(method: str) -> _Refused:
    return _Refused(grpc.StatusCode.RESOURCE_EXHAUSTED, "member-busy",
                    f"{method}: too many large requests in flight; retry later")
