"""What `keycouncil log show|export` and `roster propose` do as a client (docs/operators.md,
"Approvals and the council log").

- `read_log`: the longest copy of a key's log that verifies, read from the members of the given
  roster and of the key's current and pending rosters in that log (members behind are brought up to
  date on the way: `LogClient.read`);
- `propose_roster`: append a roster-proposed entry at the head, or say that the roster is already
  accepted or current. Proposing is idempotent: at the same head it is the same entry (Ed25519 is
  deterministic), so proposing again collects the approvals that operators gave meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from council.driver.client import Failure
from council.driver.log_client import AppendReport, LogClient, operator_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import KeycouncilError, PolicyRefused
from council.log import LogRecord, LogState, RosterProposed, apply
from council.log.rules import quorum_roster
from council.roster import MemberCard, Roster


class LogUnreadable(KeycouncilError):
    """No member had a log of the key, or none answered; the message names each member's answer."""


@dataclass(frozen=True)
class RosterProposal:
    """The outcome of `roster propose`: the entry's report, or why no entry was needed."""

    state: LogState
    report: AppendReport | None
    note: str = ""

    @property
    def status(self) -> str:
        """accepted / current (no entry needed) / waiting (for approvals) / refused (cannot reach t)."""
        r = self.report
        if r is None:
            return "current"
        if r.accepted:
            return "accepted"
        refused = sum(1 for a in r.answers.values() if a.startswith("refused"))
        return "refused" if len(r.answers) - refused < r.threshold else "waiting"


def _cards(rosters: Iterable[Roster | None]) -> list[MemberCard]:
    out: dict[bytes, MemberCard] = {}
    for roster in rosters:
        for card in roster.members if roster is not None else ():
            out.setdefault(card.signing_key, card)
    return list(out.values())


def _log_rosters(state: LogState) -> list[Roster | None]:
    return [state.roster, state.pending.roster if state.pending else None]


def read_log(rosters: Iterable[Roster], key_id: str, operator: OperatorFolder,
             timing: Timing) -> tuple[LogState, list[LogRecord]]:
    """The key's log from the members of `rosters` and of the rosters its log names."""
    given = list(rosters)
    cards = _cards(given)
    with LogClient(cards, operator, timing) as client:
        state, records = client.read(key_id)
        if not records:
            raise LogUnreadable(_why_empty(client, key_id))
    more = _cards([*given, *_log_rosters(state)])
    if len(more) == len(cards):
        return state, records
    with LogClient(more, operator, timing) as client:
        return client.read(key_id)


def _why_empty(client: LogClient, key_id: str) -> str:
    answers = []
    for c in client.clients.values():
        got = client.records_of(c, key_id)
        answers.append(f"{c.card.name}: {got}" if isinstance(got, Failure) else f"{c.card.name}: no entries")
    return f"no member has a council log of key {key_id!r} ({'; '.join(answers)})"


def propose_roster(new: Roster, key_id: str, operator: OperatorFolder, timing: Timing,
                   current: Roster | None = None) -> RosterProposal:
    """Propose `new` as the key's next roster (see the module docstring)."""
    state, records = read_log([r for r in (new, current) if r is not None], key_id, operator, timing)
    if not state.started:
        raise PolicyRefused(f"key {key_id!r} has no genesis entry in its council log: nothing to propose to")
    if state.roster is not None and state.roster.digest() == new.digest():
        return RosterProposal(state, None, f"this roster is the current roster of key {key_id!r} (epoch "
                                           f"{state.epoch}): a re-share to it needs no log entry")
    with LogClient(_cards([new, current, *_log_rosters(state)]), operator, timing) as client:
        if state.pending is not None and state.pending.roster.digest() == new.digest():
            return RosterProposal(state, accepted_report(records[state.pending.seq], records),
                                  f"already accepted at entry {state.pending.seq}")
        report = client.append(state, operator_entry(operator, state, RosterProposed(new)))
    return RosterProposal(state, report)


def accepted_report(record: LogRecord, records: list[LogRecord]) -> AppendReport:
    """An AppendReport for a record already in the log (who approved it, by name)."""
    before = LogState(record.entry.key_id)
    for earlier in records[:record.entry.seq]:
        before = apply(before, earlier.entry, earlier.approvals, None)
    roster = quorum_roster(before, record.entry)
    approved = {a.member_key for a in record.approvals}
    answers = {m.name: "approved" if m.signing_key in approved else "no approval in the accepted record"
               for m in roster.members}
    return AppendReport(record.entry, roster.threshold, answers, record)
