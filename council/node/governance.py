"""A member's `DIR/governance.toml`: which widening log entries it approves without its operator.

The default (no file) is manual for every widening kind: the member answers PENDING until its
operator runs `keycouncil member approve DIR ID`. The file can list kinds to approve automatically,
and for rosters the limits within which it may (docs/operators.md, "governance.toml"):

```toml
[auto_approve]
kinds = ["roster-proposed"]
[auto_approve.roster]
max_members_changed = 1        # members added, removed or with a changed card, against the current roster
allow_lower_threshold = false  # a lower threshold always needs the operator
```
A kept signing key whose card changed in any other field (encryption key, TLS certificate, address,
name) is a changed member: the next re-share encrypts its new share to the new card. A change to the
operators is never within the limits: they drive ceremonies and request recoveries.

Narrowing entries never wait (they give less) and record entries are checked by the log's rules.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from council.errors import StorageError
from council.log import Entry, Kind, LogState, RosterProposed
from council.log.kinds import EFFECTS, Effect
from council.roster import Roster

FILE_NAME = "governance.toml"
WIDENING_KINDS = frozenset(k.label for k, e in EFFECTS.items() if e is Effect.WIDENING) | {"policy-changed"}


class GovernanceInvalid(StorageError):
    """governance.toml is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Governance:
    """What this member may approve by itself, and within which limits."""

    auto_kinds: frozenset[str] = frozenset()
    max_members_changed: int = 0
    allow_lower_threshold: bool = False

    def allows(self, state: LogState, entry: Entry) -> str | None:
        """The reason this widening entry is approved automatically, or None (operator needed)."""
        if entry.kind.label not in self.auto_kinds:
            return None
        if entry.kind is Kind.ROSTER_PROPOSED and state.roster is not None:
            assert isinstance(entry.body, RosterProposed)
            return self._roster_within_limits(state, entry.body)
        return f"governance.toml auto-approves {entry.kind.label}"

    def _roster_within_limits(self, state: LogState, body: RosterProposed) -> str | None:
        """The reason this roster is within the limits, or None (the operator decides): too many
        members changed, a lower threshold, or any change to the operators."""
        assert state.roster is not None
        if set(body.roster.operators) != set(state.roster.operators):
            return None  # who drives ceremonies and requests recoveries: never the file's decision
        changed = members_changed(state.roster, body.roster)
        if changed > self.max_members_changed:
            return None
        if body.roster.threshold < state.roster.threshold and not self.allow_lower_threshold:
            return None
        return (f"governance.toml auto-approves rosters with at most {self.max_members_changed} members "
                f"changed ({changed} here) and the same operators; a kept member with another card counts as changed")


def members_changed(old: Roster, new: Roster) -> int:
    """Members added, removed, or kept with any field of their card changed, each counted once: a
    kept signing key with another encryption key would get its next share encrypted to that key."""
    before = {m.signing_key: m for m in old.members}
    after = {m.signing_key: m for m in new.members}
    kept_but_changed = sum(1 for key, card in after.items() if key in before and before[key] != card)
    return len(before.keys() ^ after.keys()) + kept_but_changed


_PARSED: dict[Path, tuple[bytes, Governance]] = {}
"""The last parse of each governance file, by path, with the bytes it was parsed from."""


def load_governance(folder: Path) -> Governance:
    """The member's governance file, or the all-manual default when there is none. Read on every
    widening proposal, parsed again only when its bytes changed (a TOML parse was about a fifth of
    a member's CPU per proposal; decisions.md, 128)."""
    path = folder / FILE_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Governance()
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == raw:
        return cached[1]
    governance = _parse(path, raw)
    _PARSED[path] = (raw, governance)
    return governance


def _parse(path: Path, raw: bytes) -> Governance:
    try:
        doc = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GovernanceInvalid(f"{path}: not valid TOML ({exc})") from None
    auto = doc.get("auto_approve", {})
    if not isinstance(auto, dict):
        raise GovernanceInvalid(f"{path}: [auto_approve] must be a table")
    kinds = auto.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise GovernanceInvalid(f"{path}: auto_approve.kinds must be a list of entry kinds")
    unknown = sorted(set(kinds) - WIDENING_KINDS)
    if unknown:
        raise GovernanceInvalid(f"{path}: auto_approve.kinds: {', '.join(unknown)} is not a widening "
                                f"kind (expected some of {', '.join(sorted(WIDENING_KINDS))})")
    roster = auto.get("roster", {})
    changed, lower = roster.get("max_members_changed", 0), roster.get("allow_lower_threshold", False)
    if not isinstance(changed, int) or isinstance(changed, bool) or changed < 0:
        raise GovernanceInvalid(f"{path}: auto_approve.roster.max_members_changed must be an integer ≥ 0")
    if not isinstance(lower, bool):
        raise GovernanceInvalid(f"{path}: auto_approve.roster.allow_lower_threshold must be true or false")
    return Governance(frozenset(kinds), changed, lower)
