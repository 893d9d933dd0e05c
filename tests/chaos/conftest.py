"""Fixtures for the chaos tests: a council of member folders (tests/node/node_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_helpers import Council


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path)
    try:
        yield c
    finally:
        c.close()
