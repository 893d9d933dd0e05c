"""Loopback ports under xdist: each worker draws from a block of its own, below the kernel's
ephemeral range, so a member one worker stopped never leaves its port to another worker's member
(decision 126); a process a worker starts takes the kernel's ports, outside every block."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from council.localnet import ports


@pytest.mark.skipif(ports._ephemeral_start() < 32_000, reason="the kernel's ephemeral range overlaps the blocks")
def test_a_worker_takes_distinct_ports_from_its_own_block(monkeypatch: pytest.MonkeyPatch) -> None:
    for slot in range(ports.WORKER_SLOTS):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{slot}")
        got = ports.loopback_ports(50)
        start = ports.BLOCK_START + ports.BLOCK_SIZE * slot
        assert len(set(got)) == 50 and all(start <= p < start + ports.BLOCK_SIZE for p in got), got
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{ports.WORKER_SLOTS}")  # past the slots: the kernel's
    assert ports.loopback_port() >= ports.BLOCK_START + ports.BLOCK_SIZE * ports.WORKER_SLOTS


@pytest.mark.skipif(ports._ephemeral_start() < 32_000, reason="the kernel's ephemeral range overlaps the blocks")
def test_a_child_process_of_a_worker_uses_the_kernels_ports() -> None:
    env = {**os.environ, "PYTEST_XDIST_WORKER": "gw0"}
    out = subprocess.run([sys.executable, "-c", "from council.localnet.ports import loopback_ports as p; "
                          "print(*p(20))"], env=env, capture_output=True, text=True, timeout=60, check=True)
    got = [int(x) for x in out.stdout.split()]
    assert len(got) == 20 and all(p >= ports.BLOCK_START + ports.BLOCK_SIZE * ports.WORKER_SLOTS for p in got), got
