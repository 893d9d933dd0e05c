"""The council-log steps around a ceremony (docs/log-format.md; docs/operators.md "Approvals").

- after a DKG commits: the genesis entry (roster, threshold, Y, transcript digest), authored by the
  operator and approved by `t` members, each checking it against the epoch it stored;
- before a re-share: the new roster must be accepted in the key's log (a roster-proposed entry with
  `t` approvals of the current epoch) or be the current roster; the driver proposes it (idempotent)
  and stops, naming whose approvals are missing, when it is not accepted yet;
- after a re-share commits: the epoch-committed entry, authored by a member of the new committee
  that stored the epoch, approved by the epoch before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.driver.client import Failure
from council.driver.log_client import AppendReport, LogClient, operator_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.log import Entry, Genesis, LogRecord, LogRuleError, LogState, RosterProposed, apply
from council.log.kinds import Kind
from council.log.rules import check_entry
from council.roster import MemberCard, Roster


@dataclass(frozen=True)
class LogNote:
    """A log step that appended nothing: `recorded` says whether the log already records the epoch
    (a resumed ceremony) or not (nobody could author the entry: the step must run again)."""

    text: str
    recorded: bool

    def summary(self) -> str:
        return self.text


def epoch_recorded(outcome: AppendReport | LogNote) -> bool:
    """Whether, after a ceremony's log step, the council log records its epoch."""
    return outcome.recorded


class RosterNotAccepted(PolicyRefused):
    """A re-share's new roster is not (yet) accepted in the key's council log."""

    def __init__(self, report: AppendReport) -> None:
        super().__init__(f"the new roster is not accepted in the council log: {report.summary()}")
        self.report = report


def start_log(roster: Roster, key_id: str, public_key: bytes, transcript_digest: bytes,
              operator: OperatorFolder, timing: Timing) -> AppendReport | LogNote:
    """Append the genesis entry of a key that a DKG just committed (epoch 0).

    Idempotent: when the log already has a genesis entry for this very key (same public key and
    transcript), nothing is appended and the answer says so (a resumed DKG)."""
    with LogClient(roster.members, operator, timing) as client:
        for _ in range(2):  # again if a dead driver's entry took the seq (AppendReport.rival)
            state, _ = client.read(key_id)
            if state.started and state.public_key == public_key and state.transcript_digest == transcript_digest:
                return already_logged(state, 0)
            entry = operator_entry(operator, state, Genesis(0, roster, public_key, transcript_digest))
            report = client.append(state, entry, roster)
            if not report.rival_completed:
                break
        return report


def start_log_of_existing(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing) -> AppendReport:
    """The genesis entry of a key committed before the council log existed (wave 1): its current
    epoch, as `t` members stored it, becomes the log's starting point (`keycouncil log genesis`)."""
    from council.driver.query import latest_epoch

    verified = latest_epoch(roster, key_id, operator, timing, pinned=roster.digest())
    commit = verified.bundle.commit
    with LogClient(roster.members, operator, timing) as client:
        state, _ = client.read(key_id)
        if state.started:
            raise PolicyRefused(f"key {key_id!r} already has a council log (genesis at epoch {state.epoch})")
        body = Genesis(commit.epoch, roster, commit.public_key.to_bytes(), commit.transcript_digest)
        return client.append(state, operator_entry(operator, state, body), roster)


def require_accepted_roster(old: Roster, new: Roster, key_id: str, operator: OperatorFolder,
                            timing: Timing) -> LogState:
    """The key's log state once `new` is accepted (proposing it if need be); RosterNotAccepted if not."""
    with LogClient([*old.members, *new.members], operator, timing) as client:
        state, _ = client.read(key_id)
        if not state.started:
            raise PolicyRefused(f"key {key_id!r} has no council log yet (no genesis entry): members "
                                "re-share only keys whose log is started")
        if state.pending is not None and state.pending.roster.digest() == new.digest():
            return state
        if state.roster is not None and state.roster.digest() == new.digest():
            return state
        report = client.append(state, operator_entry(operator, state, RosterProposed(new)))
        if report.rival_completed:  # a dead driver's entry took the seq: look again
            return require_accepted_roster(old, new, key_id, operator, timing)
        if report.record is None:
            raise RosterNotAccepted(report)
        return _after(state, report.record, client)


def _after(state: LogState, record: LogRecord, client: LogClient) -> LogState:
    """The state once `record` (accepted at the head of `state`) is appended, folded here with its
    approvals checked: no second read of every member's log; read again only if it does not fold."""
    try:
        return apply(state, record.entry, record.approvals, None)
    except LogRuleError:
        return client.read(state.key_id)[0]


def record_epoch(old: Roster, new: Roster, key_id: str, operator: OperatorFolder, timing: Timing,
                 signers: list[str], epoch: int | None = None) -> AppendReport | LogNote:
    """Append the epoch-committed entry, authored by the first new member that stored the epoch.

    Idempotent: when the log already records `epoch` (or a later one) as committed, nothing is
    appended and the answer says so (a resumed ceremony, or a re-run after the driver stopped)."""
    with LogClient([*old.members, *new.members], operator, timing) as client:
        for _ in range(2):  # again if a dead driver's entry took the seq (AppendReport.rival)
            state, _ = client.read(key_id)
            if epoch is not None and state.started and state.epoch >= epoch:
                return already_logged(state, epoch)
            problems = []
            report: AppendReport | None = None
            for card in new.members:
                if card.name not in signers:
                    continue
                entry = client.author(card, key_id, "epoch-committed")
                why = str(entry) if isinstance(entry, Failure) else _not_its_epoch_entry(state, entry, card)
                if why:  # one member's bad entry does not keep the epoch out of the log: ask the next
                    problems.append(f"{card.name}: {why}")
                    continue
                assert isinstance(entry, Entry)
                report = client.append(state, entry)
                report.notes += [f"author passed over: {p}" for p in problems]
                break
            if report is None:
                return LogNote("no member of the new committee authored the epoch-committed entry: "
                               + "; ".join(problems), recorded=False)
            if not report.rival_completed:
                return report
        assert report is not None
        return report


def _not_its_epoch_entry(state: LogState, entry: Entry, card: MemberCard) -> str:
    """Why `entry` is not an epoch-committed entry by `card`'s member that may follow `state`
    (the log's own rules, without the quorum), or "" if it is."""
    if entry.kind is not Kind.EPOCH_COMMITTED or entry.author.public_key != card.signing_key:
        return f"it authored a {entry.kind.label} entry as {entry.author.public_key.hex()[:16]}…, not its epoch-committed entry"
    try:
        check_entry(state, entry)
    except LogRuleError as exc:
        return f"its entry breaks the log's rules: {exc}"
    return ""


def already_logged(state: LogState, epoch: int) -> LogNote:
    """What a ceremony's log step says when the log already records its epoch."""
    return LogNote(f"epoch {epoch} of key {state.key_id} is already in the council log (the log is at epoch "
                   f"{state.epoch}, {state.next_seq} entries): nothing appended", recorded=True)
