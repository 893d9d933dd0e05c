"""Free loopback ports for local councils (tests, the demo, benchmarks).

A port is free when the OS hands it out for a bind to 127.0.0.1:0; but once that socket closes the
OS may hand the same port out again at once, so two members created one after the other could get
the same address. This module never returns a port twice in one process.
"""

from __future__ import annotations

import socket
import threading

_given: set[int] = set()
_lock = threading.Lock()


def loopback_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 and that this process never handed out."""
    with _lock:
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
