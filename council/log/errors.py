"""Errors of the council log: undecodable bytes, and entries that break a rule of the log.

`LogRuleError` always names the sequence number and a stable rule name (docs/log-format.md,
"Rules"), so `log verify` and a member's refusal say exactly which entry broke which rule.
"""

from __future__ import annotations

from council.errors import DecodeError, KeycouncilError, PolicyRefused


class LogDecodeError(DecodeError):
    """Log bytes do not parse, or are not in their one canonical encoding."""


class LogRuleError(KeycouncilError):
    """An entry breaks a rule of the log; `seq` and `rule` say which entry and which rule."""

    def __init__(self, seq: int, rule: str, detail: str) -> None:
        super().__init__(f"log entry {seq}: {rule}: {detail}")
        self.seq = seq
        self.rule = rule
        self.detail = detail


class ThresholdTooLow(PolicyRefused):
    """A roster whose threshold is not a strict majority: two conflicting entries could both pass."""
