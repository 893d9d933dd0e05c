"""What a key's accepted entries add up to: `LogState`, and the decisions members read from it.

A `LogState` is a frozen value; `rules.apply` returns a new one for each accepted entry. Its
mappings are never mutated (each apply copies the one it changes). The `*_at_ms` fields are the
time this node saw the entry accepted (the `now` given to `apply`), None when folded by an
auditor; they drive waiting periods, which count from when this member first saw an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Final

from council.attestation.policy_model import Freeze as PolicyFreeze
from council.attestation.policy_model import Policy
from council.log.bodies import OlderDumpAllowed, RecoveryRequested
from council.log.entry import GENESIS_PREVIOUS
from council.roster import Roster

CLOCK_SKEW_MS: Final = 5 * 60 * 1000
"""How far in the future a request's creation time may lie on a member's clock (5 minutes)."""


@dataclass(frozen=True)
class SealerRecord:
    """A sealer as the log knows it: what was admitted, and when (if ever) it was revoked."""

    public_key: bytes
    tee: str
    measurement: bytes
    tcb_status: str
    admitted_seq: int | None
    revoked_seq: int | None = None
    revoke_reason: str = ""

    @property
    def active(self) -> bool:
        return self.admitted_seq is not None and self.revoked_seq is None


@dataclass(frozen=True)
class AppHead:
    """The newest announced dump of an app, linked to the announcements before it."""

    app_id: str
    version: int
    digest: bytes
    seq: int
    sealer_key: bytes
    parent: AppHead | None = None

    def digest_of(self, version: int) -> bytes | None:
        """The digest announced for `version`, or None if this log never announced it."""
        node: AppHead | None = self
        while node is not None and node.version >= version:
            if node.version == version:
                return node.digest
            node = node.parent
        return None

    def chain(self) -> tuple[AppHead, ...]:
        """Every announcement of the app, oldest first."""
        out: list[AppHead] = []
        node: AppHead | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        return tuple(reversed(out))


@dataclass(frozen=True)
class OpenRequest:
    """An accepted recovery request: the body, where it is in the log, who asked, when seen."""

    body: RecoveryRequested
    seq: int
    operator_key: bytes
    accepted_at_ms: int | None


@dataclass(frozen=True)
class PendingRoster:
    """A roster accepted for the next re-share, not yet committed."""

    roster: Roster
    seq: int


@dataclass(frozen=True)
class Retirement:
    """An accepted retirement: members erase every share once the waiting period has passed."""

    seq: int
    waiting_period_ms: int
    reason: str
    accepted_at_ms: int | None

    def erase_due(self, now_ms: int) -> bool:
        """True once the waiting period, counted from when this node saw it accepted, has passed."""
        return self.accepted_at_ms is not None and now_ms >= self.accepted_at_ms + self.waiting_period_ms


@dataclass(frozen=True)
class ReleaseDecision:
    """May this member release its share for this request now? With the rule when it may not."""

    allowed: bool
    rule: str = ""
    reason: str = ""


@dataclass(frozen=True)
class LogState:
    """The effect of a key's accepted entries: roster, epoch, policy, sealers, dumps, requests."""

    key_id: str
    next_seq: int = 0
    head: bytes = GENESIS_PREVIOUS
    roster: Roster | None = None
    epoch: int = 0
    public_key: bytes = b""
    transcript_digest: bytes = b""
    pending: PendingRoster | None = None
    policy: Policy = field(default_factory=Policy)
    sealers: Mapping[bytes, SealerRecord] = field(default_factory=dict)
    apps: Mapping[str, AppHead] = field(default_factory=dict)
    requests: Mapping[bytes, OpenRequest] = field(default_factory=dict)
    releases: Mapping[bytes, frozenset[bytes]] = field(default_factory=dict)
    older_allowed: Mapping[tuple[str, int], OlderDumpAllowed] = field(default_factory=dict)
    successor: str | None = None
    retired: Retirement | None = None

    @property
    def started(self) -> bool:
        """True once the genesis entry is accepted."""
        return self.roster is not None

    @property
    def threshold(self) -> int:
        return self.roster.threshold if self.roster is not None else 0

    @cached_property
    def member_keys(self) -> Mapping[bytes, str]:
        """Signing key → name of each member of the current epoch's roster."""
        return {m.signing_key: m.name for m in self.roster.members} if self.roster else {}

    @cached_property
    def operator_keys(self) -> Mapping[bytes, str]:
        """Signing key → name of each operator of the current roster."""
        return {o.signing_key: o.name for o in self.roster.operators} if self.roster else {}

    @property
    def frozen(self) -> PolicyFreeze | None:
        return self.policy.freeze

    @property
    def forbidden_advisories(self) -> tuple[str, ...]:
        return self.policy.forbidden_advisories

    def admitted_sealer(self, public_key: bytes) -> SealerRecord | None:
        """The sealer's record if it is admitted and not revoked."""
        record = self.sealers.get(public_key)
        return record if record is not None and record.active else None

    def is_revoked(self, public_key: bytes) -> bool:
        record = self.sealers.get(public_key)
        return record is not None and record.revoked_seq is not None

    def admission_policy(self) -> Policy:
        """The admission policy members apply: the logged one, with every revoked sealer refused."""
        revoked = {k.hex() for k, r in self.sealers.items() if r.revoked_seq is not None}
        if revoked <= set(self.policy.revoked_sealer_keys):
            return self.policy
        return replace(self.policy, revoked_sealer_keys=tuple(sorted(revoked | set(self.policy.revoked_sealer_keys))))

    def newest(self, app_id: str) -> AppHead | None:
        """The newest announced dump of `app_id` (what `recover` must use), or None."""
        return self.apps.get(app_id)

    def request(self, request_id: bytes) -> OpenRequest | None:
        return self.requests.get(request_id)

    def open_requests(self, now_ms: int) -> tuple[OpenRequest, ...]:
        """Accepted requests not yet expired at `now_ms`, oldest first."""
        return tuple(r for r in sorted(self.requests.values(), key=lambda r: r.seq) if now_ms < r.body.expires_unix_ms)

    def released(self, request_id: bytes, member_key: bytes) -> bool:
        """True when the log records that member's release for this request."""
        return member_key in self.releases.get(request_id, frozenset())

    def may_release(self, request_id: bytes, member_key: bytes, now_ms: int,
                    released_locally: bool = False) -> ReleaseDecision:
        """Whether `member_key` may release for `request_id` at `now_ms`, by the log's rules.

        The request must be an accepted entry (one entry covers one request id), created no later
        than `now + CLOCK_SKEW_MS`, not expired, for a key that is not retired; the member must be
        in the current roster and not have released before, in the log or locally (the adapter
        persists its own release before answering and passes `released_locally`).
        """
        if self.retired is not None:
            return ReleaseDecision(False, "key.retired", f"key {self.key_id} is retired (entry {self.retired.seq})")
        open_request = self.requests.get(request_id)
        if open_request is None:
            return ReleaseDecision(False, "release.not-in-log",
                                   f"request {request_id.hex()} is not an accepted entry of key {self.key_id}'s log")
        body = open_request.body
        if body.created_unix_ms > now_ms + CLOCK_SKEW_MS:
            return ReleaseDecision(False, "release.not-yet-valid",
                                   f"request {request_id.hex()} is created at {_iso(body.created_unix_ms)}, "
                                   f"in the future of this member's clock ({_iso(now_ms)})")
        if now_ms >= body.expires_unix_ms:
            return ReleaseDecision(False, "release.expired",
                                   f"request {request_id.hex()} expired at {_iso(body.expires_unix_ms)}")
        if member_key not in self.member_keys:
            return ReleaseDecision(False, "release.member", "this member is not in the current roster")
        if released_locally or self.released(request_id, member_key):
            return ReleaseDecision(False, "release.once",
                                   f"this member already released its share for request {request_id.hex()}")
        return ReleaseDecision(True)

    def erase_due(self, now_ms: int) -> bool:
        """True when the key is retired and its waiting period has passed on this member."""
        return self.retired is not None and self.retired.erase_due(now_ms)


def _iso(unix_ms: int) -> str:
    return datetime.fromtimestamp(unix_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def freeze_of(after_unix_ms: int | None, reason: str) -> PolicyFreeze:
    """The admission-policy freeze a Freeze entry stands for."""
    after = None if after_unix_ms is None else datetime.fromtimestamp(after_unix_ms / 1000, UTC)
    return PolicyFreeze(after, reason)


_STATE_FIELDS: Final = frozenset(f.name for f in fields(LogState))


def evolve(state: LogState, **changes: object) -> LogState:
    """`dataclasses.replace` for a LogState (no `__post_init__`), without its per-field walk: a
    fold makes one per entry. The cached properties are not carried over: a new state works them
    out again."""
    unknown = changes.keys() - _STATE_FIELDS
    if unknown:
        raise TypeError(f"LogState has no field {sorted(unknown)[0]!r}")
    new = object.__new__(LogState)
    values = {name: value for name, value in state.__dict__.items() if name in _STATE_FIELDS}
    values.update(changes)
    new.__dict__.update(values)
    return new
