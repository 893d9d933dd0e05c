"""Free loopback ports for local councils (tests, the demo, benchmarks).

A port is free when the OS hands it out for a bind to 127.0.0.1:0; but once that socket closes the
OS may hand the same port out again at once, so two members created one after the other could get
the same address. This module never returns a port twice in one process.

Under pytest-xdist (PYTEST_XDIST_WORKER set) that is not enough: each worker is its own process,
and a member a test stopped frees its port, which the OS may give to another worker's new member;
the first test's client, calling the stopped member, then reaches a stranger (TLS: "self signed
certificate") instead of nobody. So each of the first WORKER_SLOTS workers takes its ports from a
block of its own below the kernel's ephemeral range (which starts at 32768 on Linux), in order,
never handing one out twice until the block is used up (decisions.md, 126).
"""

from __future__ import annotations

import os
import socket
import sys
import threading

_given: set[int] = set()
_lock = threading.Lock()
BLOCK_START, BLOCK_SIZE, WORKER_SLOTS = 20_000, 4_000, 3
_cursor = 0


def loopback_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 and that this process never handed out."""
    with _lock:
        block = _worker_block()
        if block is not None:
            return _from_block(block)
        for _ in range(1000):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no fresh loopback port after 1000 tries")


def loopback_ports(count: int) -> list[int]:
    """`count` distinct fresh ports."""
    return [loopback_port() for _ in range(count)]


def _worker_block() -> int | None:
    """The first port of this xdist worker's block, or None (not a worker, or one past the slots).
    A process a worker starts (`keycouncil demo`) inherits the variable but not the cursor, so only
    the worker itself (pytest loaded) uses the block; the others take the kernel's ports, outside it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if "pytest" not in sys.modules:
        return None
    if not (worker.startswith("gw") and worker[2:].isdigit()) or int(worker[2:]) >= WORKER_SLOTS:
        return None
    if _ephemeral_start() < BLOCK_START + BLOCK_SIZE * WORKER_SLOTS:
        return None  # the kernel hands out ports inside the blocks here: they would not be ours alone
    return BLOCK_START + BLOCK_SIZE * int(worker[2:])


def _ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (Linux; 0, so no blocks, where unknown)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _from_block(start: int) -> int:
    """The next port of the block that binds now (the cursor wraps around after BLOCK_SIZE)."""
    global _cursor
    for _ in range(BLOCK_SIZE):
        port = start + _cursor % BLOCK_SIZE
        _cursor += 1
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue  # in use (by anyone): the next one
        _given.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {start}..{start + BLOCK_SIZE - 1}")
