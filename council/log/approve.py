"""A member's decision to approve an entry: at most one entry per sequence number, ever.

Contract for the adapter that holds the member's approvals (seq → entry digest), stated in
docs/log-format.md, "Approving":

  1. call `review(state, entry, approved, now)`;
  2. on APPROVE with `needs_operator`, wait for the operator's approval (or the governance file);
  3. persist `seq → digest` durably (write, fsync, rename, fsync the folder) BEFORE signing or
     answering, so that a member killed after persisting and before answering, once restarted,
     answers REPEAT for this entry and REFUSE for any other at that sequence number;
  4. on REPEAT, answer the same approval again (Ed25519 is deterministic: re-signing gives it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from council.log.bodies import RecoveryRequested
from council.log.entry import Entry
from council.log.errors import LogRuleError
from council.log.kinds import Effect
from council.log.rules import check_entry, classify
from council.log.state import CLOCK_SKEW_MS, LogState


class Verdict(Enum):
    APPROVE = "approve"
    """New: persist seq → digest, then sign and answer."""
    REPEAT = "repeat"
    """Already approved this very entry: answer the same approval again."""
    REFUSE = "refuse"
    """Another entry was approved at this sequence number, or the entry breaks a rule."""


@dataclass(frozen=True)
class ApprovalDecision:
    """The verdict, why, and whether the entry widens access (then the operator must approve)."""

    verdict: Verdict
    reason: str = ""
    rule: str = ""
    effect: Effect | None = None

    @property
    def needs_operator(self) -> bool:
        """Widening entries need this member's operator (or governance file) before approval."""
        return self.verdict is Verdict.APPROVE and self.effect is Effect.WIDENING


def one_per_sequence(approved: Mapping[int, bytes], seq: int, digest: bytes) -> Verdict:
    """The guard alone: APPROVE if nothing is approved at `seq`, REPEAT if this digest, else REFUSE."""
    previous = approved.get(seq)
    if previous is None:
        return Verdict.APPROVE
    return Verdict.REPEAT if previous == digest else Verdict.REFUSE


def review(state: LogState, entry: Entry, approved: Mapping[int, bytes], now: int,
           halted: bool = False) -> ApprovalDecision:
    """May this member approve `entry` now? `approved` is its persisted seq → digest map.

    `halted` is True once the member has seen fork evidence: it then approves nothing until an
    operator looks. Time checks (a recovery request created in the future or already expired) are
    made here, at approval, never when folding accepted entries.
    """
    if halted:
        return ApprovalDecision(Verdict.REFUSE, "this member saw a fork and approves nothing until an "
                                                "operator looks", "fork.halted")
    guard = one_per_sequence(approved, entry.seq, entry.digest)
    if guard is Verdict.REPEAT:
        return ApprovalDecision(Verdict.REPEAT, "this member already approved this entry")
    if guard is Verdict.REFUSE:
        return ApprovalDecision(Verdict.REFUSE, f"this member already approved entry "
                                                f"{approved[entry.seq].hex()} at sequence number {entry.seq}",
                                "approval.one-per-sequence")
    try:
        check_entry(state, entry)
        _check_timely(entry, now)
    except LogRuleError as exc:
        return ApprovalDecision(Verdict.REFUSE, str(exc), exc.rule)
    return ApprovalDecision(Verdict.APPROVE, effect=classify(state, entry))


def _check_timely(entry: Entry, now: int) -> None:
    body = entry.body
    if not isinstance(body, RecoveryRequested):
        return
    if body.created_unix_ms > now + CLOCK_SKEW_MS:
        raise LogRuleError(entry.seq, "request.future", "the request is created in the future of this "
                                                        "member's clock")
    if now >= body.expires_unix_ms:
        raise LogRuleError(entry.seq, "request.expired", "the request has already expired")
