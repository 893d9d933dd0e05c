"""Calling many members at once: one phase of a ceremony, with deadlines, in parallel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from council.driver.client import Failure, MemberClient
from council.protocol.gen import council_pb2_grpc as pb_grpc

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """How long to wait: per call, and how long to keep retrying an unreachable member."""

    call_timeout: float = 30.0
    retry_window: float = 3.0


DEFAULT_TIMING = Timing()


@dataclass
class PhaseResult(Generic[T]):
    """Answers by member (signing key) and failures by member."""

    answers: dict[bytes, T] = field(default_factory=dict)
    failures: dict[bytes, Failure] = field(default_factory=dict)


def run_phase(clients: dict[bytes, MemberClient], members: Sequence[bytes],
              fn: Callable[[pb_grpc.MemberStub, float], T], timing: Timing) -> PhaseResult[T]:
    """Call `fn` on every listed member in parallel."""
    result: PhaseResult[T] = PhaseResult()
    if not members:
        return result
    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        futures = {key: pool.submit(clients[key].call, fn, timing.call_timeout, timing.retry_window)
                   for key in members}
        for key, fut in futures.items():
            answer = fut.result()
            if isinstance(answer, Failure):
                result.failures[key] = answer
            else:
                result.answers[key] = answer
    return result
