"""One council of three member processes (t = 2, manual approvals) per test: a re-share to another
roster changes the roster every member serves (it follows the newest committed epoch), so tests
that share a council would depend on each other's order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lognet_helpers import LogNet


@pytest.fixture
def net(tmp_path: Path) -> Iterator[LogNet]:
    council = LogNet(tmp_path / "lognet")
    try:
        council.up()
        yield council
    finally:
        council.close()
