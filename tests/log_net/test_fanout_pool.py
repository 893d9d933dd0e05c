"""LogClient's fan-out threads: started once per client and reused, a fan-out inside a fan-out
does not wait on its own pool, and `close()` (or collection) stops them."""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

from council.driver.log_client import MAX_PARALLEL, LogClient
from council.driver.phases import Timing


def _client() -> LogClient:
    return LogClient([], None, Timing(call_timeout=5, retry_window=0))  # type: ignore[arg-type]  # no members: no calls


def _names(client: LogClient, items: int) -> set[str]:
    def who(_: Any) -> str:
        time.sleep(0.01)  # keep every worker busy at once
        return threading.current_thread().name
    return {name for _, name in client._each(list(range(items)), who)}


def test_threads_are_started_once_and_reused() -> None:
    """Ten fan-outs to 16 members: at most the pool's threads ever (a pool per fan-out: 160)."""
    client = _client()
    try:
        used: set[str] = set()
        for _ in range(10):
            used |= _names(client, 16)
        alive = {t.name for t in threading.enumerate() if t.name.startswith(client._pool_prefix + "_")}
        assert 1 < len(used) <= MAX_PARALLEL < 10 * 16
        assert used == alive  # every thread it used is still there, kept for the next fan-out
    finally:
        client.close()


def test_results_keep_the_order_of_the_items() -> None:
    client = _client()
    try:
        assert client._each(list(range(100)), lambda i: i * i) == [(i, i * i) for i in range(100)]
    finally:
        client.close()


def test_a_fan_out_inside_a_full_fan_out_completes() -> None:
    client = _client()
    try:
        def inner(i: int) -> int:
            return sum(r for _, r in client._each(list(range(4)), lambda j: j + i))
        done = client._each(list(range(MAX_PARALLEL)), inner)  # every pool thread waits on an inner fan-out
        assert [r for _, r in done] == [6 + 4 * i for i in range(MAX_PARALLEL)]
    finally:
        client.close()


def test_close_and_collection_stop_the_threads() -> None:
    client = _client()
    prefix = client._pool_prefix
    _names(client, 8)
    client.close()
    other = _client()
    other_prefix = other._pool_prefix
    _names(other, 8)
    del other
    gc.collect()
    deadline = time.monotonic() + 10
    while any(t.name.startswith((prefix + "_", other_prefix + "_")) for t in threading.enumerate()):
        assert time.monotonic() < deadline, "fan-out threads still running"
        time.sleep(0.05)
