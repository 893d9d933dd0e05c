"""The soak's short slice for CI (`make soak` is the long run, docs/reliability.md): 25 s of the
same operations started earlier (announced seals every 3 s, a recovery at 4 s, a member kill at
8 s, a re-share at 12 s), and every operation must succeed. Leak slopes need the long run: fitted
over half a minute they say nothing, so this slice does not judge them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.soak.__main__ import Soak

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_a_short_soak_runs_every_operation_without_a_failure(tmp_path: Path) -> None:
    soak = Soak(tmp_path / "soak", 25 / 60, first={"recover": 4.0, "restart": 8.0, "reshare": 12.0})
    try:
        soak.run()
    finally:
        soak.council.close()
    assert soak.failures == [], soak.failures
    for what in ("seal", "recover", "restart", "reshare"):
        assert soak.counts.get(what, 0) >= 1, soak.counts
    assert soak.samples, "no resource sample was taken"
