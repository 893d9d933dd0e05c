"""`verify_log`: check a whole log — chain, every signature, every quorum, who may author what.

The audit of docs/log-format.md, "Verifying a log". Records are folded in order with
`rules.apply` (now = None: an auditor has no first-seen times); the first entry that breaks a rule
stops the check, and the report names its sequence number and the rule. Two distinct entries at
one sequence number are a fork: the report lists the members whose approvals of both verify —
signatures that prove who approved twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from council.log.entry import Approval, LogRecord
from council.log.errors import LogRuleError
from council.log.rules import apply, quorum_roster
from council.log.state import LogState


@dataclass(frozen=True)
class DoubleApproval:
    """One member's valid approvals of two different entries at one sequence number."""

    member_key: bytes
    member_name: str
    first: Approval
    second: Approval
    first_digest: bytes
    second_digest: bytes


@dataclass(frozen=True)
class Fork:
    """Distinct entries at one sequence number, and the members who approved two of them."""

    seq: int
    digests: tuple[bytes, ...]
    double_approvers: tuple[DoubleApproval, ...]


@dataclass(frozen=True)
class Failure:
    """The first rule the log breaks: at which sequence number, which rule, the details."""

    seq: int
    rule: str
    detail: str

    @property
    def message(self) -> str:
        return f"log entry {self.seq}: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class LogReport:
    """What `verify_log` found: the state as far as the log verified, and the failure if any."""

    key_id: str
    state: LogState
    verified: int
    failure: Failure | None = None
    fork: Fork | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def raise_for_failure(self) -> LogState:
        """The verified state, or LogRuleError for the failure."""
        if self.failure is not None:
            raise LogRuleError(self.failure.seq, self.failure.rule, self.failure.detail)
        return self.state


def verify_log(records: Iterable[LogRecord], key_id: str | None = None) -> LogReport:
    """Verify every record in order; `key_id` defaults to the first entry's (an export names it)."""
    items = list(records)
    key = key_id if key_id is not None else (items[0].entry.key_id if items else "")
    state = LogState(key)
    if not items:
        return LogReport(key, state, 0, Failure(0, "chain.genesis", "the log has no entries"))
    at_seq: dict[int, dict[bytes, LogRecord]] = {}
    for record in items:
        at_seq.setdefault(record.entry.seq, {}).setdefault(record.entry.digest, record)
    for record in items:
        rivals = at_seq[record.entry.seq]
        if record.entry.seq == state.next_seq and len(rivals) > 1:
            fork = find_fork(state, record.entry.seq, list(rivals.values()))
            who = ", ".join(d.member_name for d in fork.double_approvers) or "no member"
            return LogReport(key, state, state.next_seq, Failure(
                fork.seq, "fork", f"{len(rivals)} distinct entries at this sequence number; approved by "
                                  f"both: {who}"), fork)
        try:
            state = apply(state, record.entry, record.approvals, None)
        except LogRuleError as exc:
            return LogReport(key, state, state.next_seq, Failure(exc.seq, exc.rule, exc.detail))
    return LogReport(key, state, state.next_seq)


def find_fork(state: LogState, seq: int, rivals: Sequence[LogRecord]) -> Fork:
    """The members whose approvals of two of the `rivals` (entries at `seq`) both verify."""
    valid: dict[bytes, list[tuple[Approval, bytes]]] = {}
    names: dict[bytes, str] = {}
    for record in rivals:
        try:
            roster = quorum_roster(state, record.entry)
        except LogRuleError:
            continue
        members = {m.signing_key: m.name for m in roster.members}
        names.update(members)
        for a in record.approvals:
            if a.member_key in members and a.is_valid_for(record.entry):
                valid.setdefault(a.member_key, []).append((a, record.entry.digest))
    doubles = tuple(DoubleApproval(key, names[key], pairs[0][0], pairs[1][0], pairs[0][1], pairs[1][1])
                    for key, pairs in sorted(valid.items()) if len(pairs) >= 2)
    return Fork(seq, tuple(sorted(r.entry.digest for r in rivals)), doubles)
