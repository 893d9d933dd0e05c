"""The release path's two value memos (decision 119): the step (6) policy without its waits, and
the dump digest a trailer states for the log lines; each gives what computing it afresh gives."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from council.node.release.policy import ReleasePolicy
from council.node.release.service import _stated_digest, _without_waits


@given(st.booleans(), st.booleans(), st.integers(0, 86400), st.booleans())
def test_policy_without_waits_is_replace(admitted: bool, simulated: bool, wait: int, manual: bool) -> None:
    policy = ReleasePolicy(admitted, simulated, wait, manual)
    expected = dataclasses.replace(policy, manual_approval=False, waiting_period_seconds=0)
    assert _without_waits(policy) == expected
    assert _without_waits(ReleasePolicy(admitted, simulated, wait, manual)) == expected  # an equal value: same answer


@given(st.binary(max_size=200))
def test_stated_digest_of_garbage_is_none_every_time(data: bytes) -> None:
    first = _stated_digest(data)
    assert _stated_digest(data) == first
    assert first is None or len(first) == 64
