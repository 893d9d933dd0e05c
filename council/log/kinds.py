"""The kinds of log entry, who may author each, and whether it widens, narrows or only records.

These two tables are the ones in docs/log-format.md ("Kinds", "Authors", "Widening and
narrowing"); `rules` enforces them. A policy change is the one kind classified by its content:
narrowing when the new policy admits a subset of what the old one admits, widening otherwise.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Final


class Kind(IntEnum):
    """Entry kinds, with their one-byte codes on the wire."""

    GENESIS = 1
    ROSTER_PROPOSED = 2
    EPOCH_COMMITTED = 3
    POLICY_CHANGED = 4
    SEALER_ADMITTED = 5
    SEALER_REVOKED = 6
    FREEZE = 7
    UNFREEZE = 8
    ADVISORY_FORBIDDEN = 9
    DUMP_ANNOUNCED = 10
    RECOVERY_REQUESTED = 11
    SHARE_RELEASED = 12
    OLDER_DUMP_ALLOWED = 13
    KEY_ROTATED = 14
    KEY_RETIRED = 15
    SHARES_RELEASED = 16

    @property
    def label(self) -> str:
        """The stable name used in JSON and messages, e.g. "roster-proposed"."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_label(cls, label: str) -> Kind:
        try:
            return cls[label.upper().replace("-", "_")]
        except KeyError:
            raise ValueError(f"unknown log entry kind {label!r}") from None


class Role(IntEnum):
    """Who authored an entry, with one-byte codes on the wire."""

    OPERATOR = 1
    MEMBER = 2
    SEALER = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Effect(Enum):
    """What an entry does to access: gives more, gives less, or only records a fact."""

    WIDENING = "widening"
    NARROWING = "narrowing"
    RECORD = "record"


OP, M, S = Role.OPERATOR, Role.MEMBER, Role.SEALER

AUTHORS: Final[dict[Kind, frozenset[Role]]] = {
    Kind.GENESIS: frozenset({OP}),
    Kind.ROSTER_PROPOSED: frozenset({OP}),
    Kind.EPOCH_COMMITTED: frozenset({M}),
    Kind.POLICY_CHANGED: frozenset({OP}),
    Kind.SEALER_ADMITTED: frozenset({OP}),
    Kind.SEALER_REVOKED: frozenset({OP, M}),
    Kind.FREEZE: frozenset({OP, M}),
    Kind.UNFREEZE: frozenset({OP}),
    Kind.ADVISORY_FORBIDDEN: frozenset({OP, M}),
    Kind.DUMP_ANNOUNCED: frozenset({S}),
    Kind.RECOVERY_REQUESTED: frozenset({OP}),
    Kind.SHARE_RELEASED: frozenset({M}),
    Kind.OLDER_DUMP_ALLOWED: frozenset({OP}),
    Kind.KEY_ROTATED: frozenset({OP}),
    Kind.KEY_RETIRED: frozenset({OP}),
    Kind.SHARES_RELEASED: frozenset({OP, M}),
}
"""Roles that may author each kind. Operator = an operator of the current roster (for genesis: of
its own roster); member = a member of the current roster (epoch committed: also of the accepted
next roster); sealer = a sealer admitted in this log and not revoked."""

EFFECTS: Final[dict[Kind, Effect | None]] = {
    Kind.GENESIS: Effect.RECORD,
    Kind.ROSTER_PROPOSED: Effect.WIDENING,
    Kind.EPOCH_COMMITTED: Effect.RECORD,
    Kind.POLICY_CHANGED: None,
    Kind.SEALER_ADMITTED: Effect.WIDENING,
    Kind.SEALER_REVOKED: Effect.NARROWING,
    Kind.FREEZE: Effect.NARROWING,
    Kind.UNFREEZE: Effect.WIDENING,
    Kind.ADVISORY_FORBIDDEN: Effect.NARROWING,
    Kind.DUMP_ANNOUNCED: Effect.RECORD,
    Kind.RECOVERY_REQUESTED: Effect.WIDENING,
    Kind.SHARE_RELEASED: Effect.RECORD,
    Kind.OLDER_DUMP_ALLOWED: Effect.WIDENING,
    Kind.KEY_ROTATED: Effect.WIDENING,
    Kind.KEY_RETIRED: Effect.WIDENING,
    Kind.SHARES_RELEASED: Effect.RECORD,
}
"""The class of each kind; None = decided by content (policy changed: subset → narrowing)."""

AFTER_RETIREMENT: Final = frozenset({Kind.SHARE_RELEASED, Kind.SHARES_RELEASED, Kind.SEALER_REVOKED, Kind.FREEZE,
                                     Kind.ADVISORY_FORBIDDEN})
"""The only kinds a retired key's log still accepts (records of earlier releases, narrowing)."""
