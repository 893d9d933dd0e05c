"""Profiling of a member's RPCs, for development only (benchmarks/ceremony_net.py, issue #14).

With `KEYCOUNCIL_PROFILE_DIR` set in a member's environment, every Member RPC runs under cProfile
and leaves `<dir>/<pid>-<seq>-<method>.prof`, plus one line per call in `<dir>/<pid>-calls.jsonl`
with its wall and thread CPU seconds (CPU below wall: the call waited, on a lock, the disk or the
scheduler); with `KEYCOUNCIL_PROFILE_TIMES=1` too, only those lines (no cProfile overhead); with
`KEYCOUNCIL_PROFILE_CPU=1`, cProfile counts thread CPU time instead of wall time, so that calls
waiting for the GIL, a lock or the disk under load do not show as their own cost. The
files hold function names and timings only, never arguments. Unset (the default), calls run as
they are.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
PROFILE_ENV = "KEYCOUNCIL_PROFILE_DIR"
TIMES_ONLY_ENV = "KEYCOUNCIL_PROFILE_TIMES"
CPU_CLOCK_ENV = "KEYCOUNCIL_PROFILE_CPU"
_seq = itertools.count()
_lock = threading.Lock()


def profile_dir() -> Path | None:
    value = os.environ.get(PROFILE_ENV)
    return Path(value) if value else None


def profiled(method: str, fn: Callable[[], T]) -> T:
    """`fn()`, under cProfile when profiling is on."""
    folder = profile_dir()
    if folder is None:
        return fn()
    prof = None if os.environ.get(TIMES_ONLY_ENV) == "1" else _profiler()
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        return fn() if prof is None else prof.runcall(fn)
    finally:
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        _dump(folder, method, prof, wall, cpu)


def _profiler() -> cProfile.Profile:
    """A profiler on wall time, or on this thread's CPU time with `KEYCOUNCIL_PROFILE_CPU=1`."""
    if os.environ.get(CPU_CLOCK_ENV) == "1":
        return cProfile.Profile(time.thread_time)
    return cProfile.Profile()


def _dump(folder: Path, method: str, prof: cProfile.Profile | None, wall: float, cpu: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    with _lock:
        seq = next(_seq)
        if prof is not None:
            prof.dump_stats(str(folder / f"{pid}-{seq:04d}-{method}.prof"))
        with open(folder / f"{pid}-calls.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps({"method": method, "seq": seq, "wall": round(wall, 4), "cpu": round(cpu, 4),
                                  "end": time.time()}) + "\n")
