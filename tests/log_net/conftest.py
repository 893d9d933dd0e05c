"""One council of three member processes (t = 2, manual approvals) per test module; each test
uses its own key ids, and starts with every member running."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lognet_helpers import LogNet


@pytest.fixture(scope="module")
def lognet_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogNet]:
    net = LogNet(tmp_path_factory.mktemp("lognet"))
    try:
        net.up()
        yield net
    finally:
        net.close()


@pytest.fixture
def net(lognet_module: LogNet) -> LogNet:
    lognet_module.up()
    return lognet_module
