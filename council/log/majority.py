"""The majority rule for thresholds: t > n/2, the one condition that makes forks need liars.

Two quorums of `t` among `n` members share at least `2t − n` members. With `t > n/2` that is at
least one, so two conflicting entries at one sequence number can both be approved only if some
member approves twice, and its two signatures are the proof. `roster new`, members and the log's
rules all call `require_majority`.
"""

from __future__ import annotations

from council.log.errors import ThresholdTooLow

RULE = "threshold t must exceed n/2 so that two conflicting entries cannot both be approved"


def is_majority(threshold: int, members: int) -> bool:
    """True when `threshold` is a strict majority of `members` (2t > n)."""
    return 2 * threshold > members


def require_majority(threshold: int, members: int, where: str = "roster") -> None:
    """Raise ThresholdTooLow unless 2t > n; the message states the rule and the smallest valid t."""
    if not is_majority(threshold, members):
        raise ThresholdTooLow(f"{where}: {RULE} (t = {threshold}, n = {members}: "
                              f"t must be at least {members // 2 + 1})")
