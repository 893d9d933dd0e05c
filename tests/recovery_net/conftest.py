"""A small in-process council (3 members, t = 2) with a committed key and three sealed dumps,
shared by the module's tests; each test starts from permissive release policies."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from net_helpers import KEY, NAMES, Net, seal_versions, write_release_policy
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from dumps.sealer import SealingIdentity


@pytest.fixture(scope="module")
def net_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    base = tmp_path_factory.mktemp("net")
    c = Council(base)
    try:
        c.add_members(*NAMES)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            c.serve(n, "r1")
        dkg = run_dkg(roster, KEY, c.op(), Timing(call_timeout=20, retry_window=2))
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        payloads = [os.urandom(5000 + k) for k in range(3)]
        sealer = SealingIdentity.simulated()
        c.admit_sealer(roster, KEY, sealer)  # the log's policy allows simulated sealers; this one is admitted
        seal_versions(base / "store", dkg.bundle, payloads, sealer)
        yield Net(c, dkg.bundle, base / "store", payloads)
    finally:
        c.close()


@pytest.fixture
def net(net_module: Net) -> Net:
    net_module.up()
    for n in NAMES:
        write_release_policy(net_module.council.base / n)
    return net_module
