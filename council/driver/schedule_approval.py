"""The scheduler's approval step, decided by the council log (issue 2/7): a scheduled re-share only
refreshes the roster the log names as current.

A refresh widens nothing (the same members, the same threshold), so the log's rules let it commit
without a roster proposal (docs/decisions.md, 43) and no operator is asked. Anything else is
refused here with the reason, before any member is contacted: a key whose log has not started, a
retired key, a roster other than the log's current one, or an accepted roster change still to be
dealt (that needs `ceremony reshare --to`, not a refresh). Members check the same rules again.
"""

from __future__ import annotations

from collections.abc import Callable

from council.driver.log_client import LogClient
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.driver.schedule import Approval, Approver, ReshareProposal
from council.errors import KeycouncilError
from council.log import LogState
from council.roster import Roster


def judge_refresh(state: LogState, proposal: ReshareProposal) -> Approval:
    """Approve a same-roster re-share of `proposal.key_id` only if the log's state allows it."""
    key = proposal.key_id
    if not state.started or state.roster is None:
        return Approval(False, f"key {key!r} has no council log yet (no genesis entry): run its DKG first")
    if state.retired is not None:
        return Approval(False, f"key {key!r} is retired in its council log (entry {state.retired.seq})")
    if state.pending is not None:
        return Approval(False, f"an accepted roster change (entry {state.pending.seq}) is waiting to be dealt: "
                               f"run `keycouncil ceremony reshare --to` with that roster, not a refresh")
    current = state.roster.digest()
    if current != proposal.roster_digest:
        return Approval(False, f"the council log's current roster of key {key!r} is {current.hex()[:16]}…, "
                               f"not this roster ({proposal.roster_digest.hex()[:16]}…): a scheduled re-share "
                               f"only refreshes the current roster; propose a change with `keycouncil roster propose`")
    return Approval(True, f"same-roster refresh of epoch {state.epoch}, allowed by the council log "
                          f"(log head seq {state.next_seq - 1})")


def log_approver(roster: Roster, operator: OperatorFolder, timing: Timing,
                 read: Callable[[str], LogState] | None = None) -> Approver:
    """An `Approver` that reads the key's log from `roster`'s members before each epoch change."""
    def fetch(key_id: str) -> LogState:
        with LogClient(roster.members, operator, timing) as client:
            state, _ = client.read(key_id)
        return state

    reader = read or fetch

    def approve(proposal: ReshareProposal) -> Approval:
        try:
            state = reader(proposal.key_id)
        except KeycouncilError as exc:  # too few members answer: refused now, asked again next time
            return Approval(False, f"the council log of key {proposal.key_id!r} could not be read: {exc}")
        return judge_refresh(state, proposal)
    return approve
