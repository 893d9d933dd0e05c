"""The scheduler's approval step reads the council log: only a refresh of the log's current roster
is approved; every other case is refused with its reason before any member is contacted."""

from __future__ import annotations

from council.driver.schedule import ReshareProposal
from council.driver.schedule_approval import judge_refresh, log_approver
from council.errors import PeerUnavailable
from council.log import LogState, Role
from council.log import bodies as b
from council.log.sim import Council


def _proposal(c: Council) -> ReshareProposal:
    return ReshareProposal(c.key_id, c.state.roster.digest() if c.state.roster else b"")


def test_a_refresh_of_the_current_roster_is_approved() -> None:
    c = Council.create(n=3, t=2)
    verdict = judge_refresh(c.state, _proposal(c))
    assert verdict.approved and "allowed by the council log" in verdict.why


def test_another_roster_is_refused_naming_the_log_roster() -> None:
    c = Council.create(n=3, t=2)
    other = c.make_roster(["m1", "m2", "m4"], 2)
    verdict = judge_refresh(c.state, ReshareProposal(c.key_id, other.digest()))
    assert not verdict.approved
    assert c.state.roster is not None and c.state.roster.digest().hex()[:16] in verdict.why
    assert "roster propose" in verdict.why


def test_a_pending_roster_change_and_a_retired_key_are_refused() -> None:
    c = Council.create(n=3, t=2)
    before = _proposal(c)
    c.add(c.operator(), Role.OPERATOR, b.RosterProposed(c.make_roster(["m1", "m2", "m3", "m4"], 3)))
    pending = judge_refresh(c.state, before)
    assert not pending.approved and "waiting to be dealt" in pending.why
    r = Council.create(n=3, t=2)
    r.add(r.operator(), Role.OPERATOR, b.KeyRetired(b.DAY_MS, "superseded"))
    retired = judge_refresh(r.state, _proposal(r))
    assert not retired.approved and "retired" in retired.why


def test_a_key_without_a_log_and_an_unreadable_log_are_refused() -> None:
    c = Council.create(n=3, t=2)
    assert not judge_refresh(LogState(c.key_id), _proposal(c)).approved

    def unreadable(key_id: str) -> LogState:
        raise PeerUnavailable("m1, m2 and m3 did not answer")
    approve = log_approver(c.roster, None, None, read=unreadable)  # type: ignore[arg-type]
    verdict = approve(_proposal(c))
    assert not verdict.approved and "could not be read" in verdict.why and "did not answer" in verdict.why
