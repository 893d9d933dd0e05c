"""What a member answers: phase results and status, as frozen values (converted to protobuf
by council.node.ceremony_service)."""

from __future__ import annotations

from dataclasses import dataclass

from council.crypto.messages import EpochCommit, Signed


@dataclass(frozen=True)
class OutputResult:
    """What a member reports after judging: its commit signature and the verdicts."""

    commit_signature: Signed | None
    commit: EpochCommit
    disqualified: dict[int, str]
    blamed: dict[int, str]
    share_problem: str | None


@dataclass(frozen=True)
class FinalizeResult:
    """Where the member stands for the key after finalize or catch-up."""

    committed: bool
    epoch: int
    holds_share: bool
    erased_previous: bool
    stored_confirmation: Signed | None = None
    """This member's signed confirmation that it stored the epoch with its share."""
    old_shares_erased: bool = False
    """True once this member holds no share of an older epoch of the key."""


@dataclass(frozen=True)
class KeyStatus:
    """One key as this member holds it."""

    key_id: str
    epoch: int
    holds_share: bool
    public_key: bytes
    roster_digest: bytes = b""
    committed_unix_ms: int = 0
    member_index: int = 0
    signing_public_key: bytes = b""
    holds_signing_share: bool = False


@dataclass(frozen=True)
class NodeStatus:
    """What `Status` reports."""

    name: str
    version: str
    keys: tuple[KeyStatus, ...]
    ceremonies: tuple[str, ...]
    insecure: bool
    served_roster_digest: bytes = b""
    recent: tuple[CeremonyStatus, ...] = ()
    chain: str = ""
    """Empty without a chain; "ok", or "unavailable: <why>" while the chain cannot be read."""


@dataclass(frozen=True)
class CeremonyStatus:
    """One ceremony as this member records it (in flight, or recently finished)."""

    ceremony_id: str
    state: str
    key_id: str
    epoch: int
    reason: str
