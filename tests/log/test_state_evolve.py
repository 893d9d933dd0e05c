"""`state.evolve` is `dataclasses.replace` for a LogState, cached properties not carried over
(decision 118)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from council.log.sim import busy_log, sample_log
from council.log.state import LogState, evolve

STATES = [sample_log().state, busy_log(2_100, 5, 3).state, LogState("k")]


@pytest.mark.parametrize("state", STATES, ids=["sample", "busy", "empty"])
def test_evolve_is_replace(state: LogState) -> None:
    other = STATES[0]
    for f in fields(LogState):
        changes = {f.name: getattr(other, f.name), "next_seq": state.next_seq + 1}
        got, want = evolve(state, **changes), replace(state, **changes)
        assert got == want and type(got) is LogState
        assert {n: getattr(got, n) for n in changes} == changes
    assert evolve(state) == state and evolve(state) is not state


def test_cached_member_keys_follow_the_new_roster() -> None:
    old, new = STATES[1], STATES[0]
    assert old.member_keys != new.member_keys  # computed and cached on `old`
    moved = evolve(old, roster=new.roster)
    assert moved.member_keys == new.member_keys and moved.operator_keys == new.operator_keys


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(TypeError, match="no field 'nope'"):
        evolve(STATES[2], nope=1)
