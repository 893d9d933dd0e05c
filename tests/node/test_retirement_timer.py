"""The retirement timer on its own: it sweeps at once when started, again when woken (an accepted
entry), and stops promptly; a sweep that fails is logged and retried, the thread survives."""

from __future__ import annotations

import io
import json
import threading

import pytest

from council.errors import StorageError
from council.node.events import EventLog
from council.node.retirement import RetirementTimer

pytestmark = pytest.mark.timeout(30)


def test_sweeps_at_start_and_when_woken_and_survives_a_failure() -> None:
    swept, wake, stream = [], threading.Event(), io.StringIO()
    calls = threading.Semaphore(0)

    def sweep() -> None:
        swept.append(len(swept))
        calls.release()
        if len(swept) == 2:
            raise StorageError("log/council/k/records/00000000000000000003.rec: damaged")

    timer = RetirementTimer(sweep, lambda: None, lambda: 0, wake, EventLog("m1", stream=stream), max_sleep=60)
    timer.start()
    try:
        assert calls.acquire(timeout=10)  # at start
        for _ in range(2):
            wake.set()
            assert calls.acquire(timeout=10)  # woken (the second sweep fails, the third still runs)
    finally:
        timer.stop()
    assert len(swept) == 3
    failed = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in failed] == ["retirement-check-failed"] and "damaged" in failed[0]["reason"]


def test_sleeps_until_the_next_deadline() -> None:
    now = [1_000]
    timer = RetirementTimer(lambda: None, lambda: 4_000, lambda: now[0], threading.Event(),
                            EventLog("m1", stream=io.StringIO()), max_sleep=60)
    assert 3.0 <= timer._delay() <= 3.1
    now[0] = 9_000
    assert timer._delay() <= 0.1  # overdue: at once
    assert RetirementTimer(lambda: None, lambda: None, lambda: 0, threading.Event(),
                           EventLog("m1", stream=io.StringIO()), max_sleep=60)._delay() == 60
