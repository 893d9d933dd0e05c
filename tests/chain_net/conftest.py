"""Fixtures for the member-and-chain tests: a council of members (tests/node/node_helpers.py) and a
Hardhat node process on 127.0.0.1 (stopped after the test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_helpers import Council

from council.chain.hardhat import HardhatNode


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path / "council")
    try:
        yield c
    finally:
        for server in c.servers.values():
            if server.node.chain is not None:
                server.node.chain.stop()
        c.close()


@pytest.fixture
def hardhat(tmp_path: Path) -> Iterator[HardhatNode]:
    with HardhatNode(tmp_path / "hardhat.log") as hh:
        yield hh
