"""Fixtures for the member-and-chain tests: a council of members (tests/node/node_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_helpers import Council


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
