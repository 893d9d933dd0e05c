"""The body of each kind of entry: a frozen value, its canonical bytes, and its JSON rendering.

Byte tables in docs/log-format.md, "Bodies". A body that exists obeys every field rule (the
constructor checks, and raises LogDecodeError naming the kind and field), so `decode_body` of
untrusted bytes either returns a valid body whose `encode()` is exactly those bytes, or raises.
Rosters and admission policies travel as their canonical JSON (sorted keys, no spaces); any other
spelling of the same JSON is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar, Final, TypeVar

from council.attestation.policy_json import policy_from_json, policy_to_json
from council.attestation.policy_model import Policy
from council.attestation.tcb_info import TCB_STATUSES
from council.crypto.group import POINT_LEN, Point
from council.errors import KeycouncilError
from council.log.errors import LogDecodeError
from council.log.kinds import Kind
from council.log.wire import KEY_ID_RE, NAME_RE, Reader, Writer, is_valid_key_id
from council.roster import Roster

DIGEST_LEN: Final = 32
KEY_LEN: Final = 32
SIG_LEN: Final = 64
HOUR_MS: Final = 3_600_000
DAY_MS: Final = 24 * HOUR_MS
DEFAULT_REQUEST_LIFETIME_MS: Final = HOUR_MS
MAX_REQUEST_LIFETIME_MS: Final = DAY_MS
MAX_WAITING_PERIOD_MS: Final = 365 * DAY_MS
MAX_JSON: Final = 1 << 20
MAX_REASON: Final = 1024
MAX_EVIDENCE: Final = 64 * 1024
MAX_MEASUREMENT: Final = 240
REQUEST_ID_MIN, REQUEST_ID_MAX = 16, 64
TEES: Final = ("sgx", "tdx", "simulated")
MEASUREMENT_LEN: Final = {"sgx": 32, "tdx": 240}
ADVISORY_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
EVIDENCE_TYPE_RE: Final = re.compile(r"[a-z0-9-]{1,32}")
U64: Final = 1 << 64


def _check(ok: bool, kind: Kind, field: str, why: str) -> None:
    if not ok:
        raise LogDecodeError(f"{kind.label}.{field}: {why}")


def _digest(value: bytes, kind: Kind, field: str) -> None:
    _check(len(value) == DIGEST_LEN, kind, field, f"expected {DIGEST_LEN} bytes, got {len(value)}")


def _u64(value: int, kind: Kind, field: str, low: int = 0) -> None:
    _check(low <= value < U64, kind, field, f"{value} outside {low}..2^64-1")


def _reason(value: str, kind: Kind) -> None:
    _check(len(value.encode()) <= MAX_REASON, kind, "reason", f"longer than {MAX_REASON} bytes")


def _name(value: str, kind: Kind, field: str) -> None:
    _check(NAME_RE.fullmatch(value) is not None, kind, field,
           "expected 1..128 characters of [A-Za-z0-9._-]")


def _request_id(value: bytes, kind: Kind) -> None:
    _check(REQUEST_ID_MIN <= len(value) <= REQUEST_ID_MAX, kind, "request_id",
           f"{len(value)} bytes, expected {REQUEST_ID_MIN}..{REQUEST_ID_MAX}")


def _point(value: bytes, kind: Kind, field: str) -> None:
    _check(len(value) == POINT_LEN, kind, field, f"expected a {POINT_LEN}-byte compressed point")
    try:
        Point.from_bytes(value, f"{kind.label}.{field}")
    except KeycouncilError as exc:
        raise LogDecodeError(str(exc)) from None


def canonical_json(obj: object) -> bytes:
    """Sorted keys, no spaces, ASCII only: the one spelling rosters and policies are logged in."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _roster(raw: bytes, kind: Kind) -> Roster:
    try:
        roster = Roster.loads(raw, f"{kind.label}.roster")
    except KeycouncilError as exc:
        raise LogDecodeError(str(exc)) from None
    _check(roster.canonical_bytes() == raw, kind, "roster", "not in canonical JSON (sorted keys, no spaces)")
    return roster


def _policy(raw: bytes, kind: Kind) -> Policy:
    try:
        policy = policy_from_json(json.loads(raw))
    except (ValueError, UnicodeDecodeError, KeycouncilError) as exc:
        raise LogDecodeError(f"{kind.label}.policy: {exc}") from None
    _check(policy_json_bytes(policy) == raw, kind, "policy", "not in canonical JSON (sorted keys, no spaces)")
    return policy


def policy_json_bytes(policy: Policy) -> bytes:
    """The canonical JSON of an admission policy, as logged."""
    return canonical_json(policy_to_json(policy))


@dataclass(frozen=True)
class Genesis:
    """The key's first entry: the DKG's roster (and threshold), its public key Y, its transcript."""

    KIND: ClassVar[Kind] = Kind.GENESIS
    epoch: int
    roster: Roster
    public_key: bytes
    transcript_digest: bytes

    def __post_init__(self) -> None:
        _u64(self.epoch, self.KIND, "epoch")
        _point(self.public_key, self.KIND, "public_key")
        _digest(self.transcript_digest, self.KIND, "transcript_digest")

    @property
    def threshold(self) -> int:
        return self.roster.threshold

    def encode(self) -> bytes:
        return (Writer().uint(self.epoch, 8).uint(self.threshold, 2).fixed(self.public_key, POINT_LEN)
                .fixed(self.transcript_digest, DIGEST_LEN).var(self.roster.canonical_bytes(), 4, MAX_JSON)
                .getvalue())

    @classmethod
    def decode(cls, r: Reader) -> Genesis:
        epoch, threshold = r.uint(8, "epoch"), r.uint(2, "threshold")
        y, transcript = r.take(POINT_LEN, "public_key"), r.take(DIGEST_LEN, "transcript_digest")
        roster = _roster(r.var(4, MAX_JSON, "roster"), cls.KIND)
        _check(threshold == roster.threshold, cls.KIND, "threshold",
               f"{threshold} differs from the roster's {roster.threshold}")
        return cls(epoch, roster, y, transcript)

    def to_json(self) -> dict[str, object]:
        return {"epoch": self.epoch, "threshold": self.threshold, "public_key": self.public_key.hex(),
                "transcript_digest": self.transcript_digest.hex(),
                "roster_digest": self.roster.digest().hex(), "roster": self.roster.to_json()}


@dataclass(frozen=True)
class RosterProposed:
    """The next roster (with its threshold) for the key's next re-share."""

    KIND: ClassVar[Kind] = Kind.ROSTER_PROPOSED
    roster: Roster

    @property
    def threshold(self) -> int:
        return self.roster.threshold

    def encode(self) -> bytes:
        return Writer().uint(self.threshold, 2).var(self.roster.canonical_bytes(), 4, MAX_JSON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> RosterProposed:
        threshold = r.uint(2, "threshold")
        roster = _roster(r.var(4, MAX_JSON, "roster"), cls.KIND)
        _check(threshold == roster.threshold, cls.KIND, "threshold",
               f"{threshold} differs from the roster's {roster.threshold}")
        return cls(roster)

    def to_json(self) -> dict[str, object]:
        return {"threshold": self.threshold, "roster_digest": self.roster.digest().hex(),
                "roster": self.roster.to_json()}


@dataclass(frozen=True)
class EpochCommitted:
    """A re-share committed: the new epoch number, its roster's digest and its transcript digest."""

    KIND: ClassVar[Kind] = Kind.EPOCH_COMMITTED
    epoch: int
    roster_digest: bytes
    transcript_digest: bytes

    def __post_init__(self) -> None:
        _u64(self.epoch, self.KIND, "epoch", low=1)
        _digest(self.roster_digest, self.KIND, "roster_digest")
        _digest(self.transcript_digest, self.KIND, "transcript_digest")

    def encode(self) -> bytes:
        return (Writer().uint(self.epoch, 8).fixed(self.roster_digest, DIGEST_LEN)
                .fixed(self.transcript_digest, DIGEST_LEN).getvalue())

    @classmethod
    def decode(cls, r: Reader) -> EpochCommitted:
        return cls(r.uint(8, "epoch"), r.take(DIGEST_LEN, "roster_digest"), r.take(DIGEST_LEN, "transcript_digest"))

    def to_json(self) -> dict[str, object]:
        return {"epoch": self.epoch, "roster_digest": self.roster_digest.hex(),
                "transcript_digest": self.transcript_digest.hex()}


@dataclass(frozen=True)
class PolicyChanged:
    """The key's whole admission policy from now on (canonical JSON of the policy file format)."""

    KIND: ClassVar[Kind] = Kind.POLICY_CHANGED
    policy: Policy

    def encode(self) -> bytes:
        return Writer().var(policy_json_bytes(self.policy), 4, MAX_JSON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> PolicyChanged:
        return cls(_policy(r.var(4, MAX_JSON, "policy"), cls.KIND))

    def to_json(self) -> dict[str, object]:
        return {"policy": policy_to_json(self.policy)}


@dataclass(frozen=True)
class SealerAdmitted:
    """A sealer key admitted to announce dumps: its TEE, measurement, TCB status and evidence."""

    KIND: ClassVar[Kind] = Kind.SEALER_ADMITTED
    public_key: bytes
    tee: str
    measurement: bytes
    tcb_status: str
    evidence_type: str
    evidence: bytes

    def __post_init__(self) -> None:
        k = self.KIND
        _check(len(self.public_key) == KEY_LEN, k, "public_key", f"expected {KEY_LEN} bytes")
        _check(self.tee in TEES, k, "tee", f"{self.tee!r} is not one of {', '.join(TEES)}")
        want = MEASUREMENT_LEN.get(self.tee)
        _check(len(self.measurement) == want if want else len(self.measurement) <= 64, k, "measurement",
               f"{len(self.measurement)} bytes; sgx: MRENCLAVE (32), tdx: MRTD ‖ RTMR0..3 (240), "
               "simulated: at most 64")
        if self.tee == "simulated":
            _check(self.tcb_status == "", k, "tcb_status", "must be empty for a simulated TEE")
        else:
            _check(self.tcb_status in TCB_STATUSES, k, "tcb_status", f"unknown TCB status {self.tcb_status!r}")
        _check(EVIDENCE_TYPE_RE.fullmatch(self.evidence_type) is not None, k, "evidence_type",
               "expected 1..32 characters of [a-z0-9-]")
        _check(len(self.evidence) <= MAX_EVIDENCE, k, "evidence", f"longer than {MAX_EVIDENCE} bytes")

    def encode(self) -> bytes:
        return (Writer().fixed(self.public_key, KEY_LEN).text(self.tee, 1, 16)
                .var(self.measurement, 2, MAX_MEASUREMENT).text(self.tcb_status, 1, 64)
                .text(self.evidence_type, 1, 32).var(self.evidence, 4, MAX_EVIDENCE).getvalue())

    @classmethod
    def decode(cls, r: Reader) -> SealerAdmitted:
        return cls(r.take(KEY_LEN, "public_key"), r.text(1, 16, "tee"), r.var(2, MAX_MEASUREMENT, "measurement"),
                   r.text(1, 64, "tcb_status"), r.text(1, 32, "evidence_type"),
                   r.var(4, MAX_EVIDENCE, "evidence"))

    def to_json(self) -> dict[str, object]:
        return {"public_key": self.public_key.hex(), "tee": self.tee, "measurement": self.measurement.hex(),
                "tcb_status": self.tcb_status, "evidence_type": self.evidence_type,
                "evidence_length": len(self.evidence)}


@dataclass(frozen=True)
class SealerRevoked:
    """A sealer key refused from now on (its measurement and TCB status stay in the state)."""

    KIND: ClassVar[Kind] = Kind.SEALER_REVOKED
    public_key: bytes
    reason: str = ""

    def __post_init__(self) -> None:
        _check(len(self.public_key) == KEY_LEN, self.KIND, "public_key", f"expected {KEY_LEN} bytes")
        _reason(self.reason, self.KIND)

    def encode(self) -> bytes:
        return Writer().fixed(self.public_key, KEY_LEN).text(self.reason, 2, MAX_REASON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> SealerRevoked:
        return cls(r.take(KEY_LEN, "public_key"), r.text(2, MAX_REASON, "reason"))

    def to_json(self) -> dict[str, object]:
        return {"public_key": self.public_key.hex(), "reason": self.reason}


@dataclass(frozen=True)
class Freeze:
    """Freeze admissions: all of them (`after_unix_ms` None), or verifications later than it."""

    KIND: ClassVar[Kind] = Kind.FREEZE
    after_unix_ms: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.after_unix_ms is not None:
            _u64(self.after_unix_ms, self.KIND, "after_unix_ms", low=1)
        _reason(self.reason, self.KIND)

    def encode(self) -> bytes:
        return Writer().uint(self.after_unix_ms or 0, 8).text(self.reason, 2, MAX_REASON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> Freeze:
        after = r.uint(8, "after_unix_ms")
        return cls(after or None, r.text(2, MAX_REASON, "reason"))

    def to_json(self) -> dict[str, object]:
        return {"after_unix_ms": self.after_unix_ms, "reason": self.reason}


@dataclass(frozen=True)
class Unfreeze:
    """Lift the admission freeze."""

    KIND: ClassVar[Kind] = Kind.UNFREEZE
    reason: str = ""

    def __post_init__(self) -> None:
        _reason(self.reason, self.KIND)

    def encode(self) -> bytes:
        return Writer().text(self.reason, 2, MAX_REASON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> Unfreeze:
        return cls(r.text(2, MAX_REASON, "reason"))

    def to_json(self) -> dict[str, object]:
        return {"reason": self.reason}


@dataclass(frozen=True)
class AdvisoryForbidden:
    """Refuse every TEE to which this advisory applies (e.g. INTEL-SA-00657)."""

    KIND: ClassVar[Kind] = Kind.ADVISORY_FORBIDDEN
    advisory_id: str
    reason: str = ""

    def __post_init__(self) -> None:
        _check(ADVISORY_RE.fullmatch(self.advisory_id) is not None, self.KIND, "advisory_id",
               "expected 1..64 characters of [A-Za-z0-9._-]")
        _reason(self.reason, self.KIND)

    def encode(self) -> bytes:
        return Writer().text(self.advisory_id, 1, 64).text(self.reason, 2, MAX_REASON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> AdvisoryForbidden:
        return cls(r.text(1, 64, "advisory_id"), r.text(2, MAX_REASON, "reason"))

    def to_json(self) -> dict[str, object]:
        return {"advisory_id": self.advisory_id, "reason": self.reason}


@dataclass(frozen=True)
class DumpAnnounced:
    """A sealer's statement that this dump is the app's newest version (dumps/format.py digest)."""

    KIND: ClassVar[Kind] = Kind.DUMP_ANNOUNCED
    app_id: str
    version: int
    dump_digest: bytes
    previous_digest: bytes = b""

    def __post_init__(self) -> None:
        _name(self.app_id, self.KIND, "app_id")
        _u64(self.version, self.KIND, "version", low=1)
        _digest(self.dump_digest, self.KIND, "dump_digest")
        _check(len(self.previous_digest) in (0, DIGEST_LEN), self.KIND, "previous_digest",
               f"expected empty or {DIGEST_LEN} bytes")
        _check((self.version == 1) == (not self.previous_digest), self.KIND, "previous_digest",
               "empty exactly for version 1 (as in the dump header)")

    def encode(self) -> bytes:
        return (Writer().text(self.app_id, 1, 128).uint(self.version, 8).fixed(self.dump_digest, DIGEST_LEN)
                .var(self.previous_digest, 1, DIGEST_LEN).getvalue())

    @classmethod
    def decode(cls, r: Reader) -> DumpAnnounced:
        return cls(r.text(1, 128, "app_id"), r.uint(8, "version"), r.take(DIGEST_LEN, "dump_digest"),
                   r.var(1, DIGEST_LEN, "previous_digest"))

    def to_json(self) -> dict[str, object]:
        return {"app_id": self.app_id, "version": self.version, "dump_digest": self.dump_digest.hex(),
                "previous_digest": self.previous_digest.hex()}


@dataclass(frozen=True)
class RecoveryRequested:
    """An operator's recovery request: which dump, for whom, valid from created to expiry."""

    KIND: ClassVar[Kind] = Kind.RECOVERY_REQUESTED
    request_id: bytes
    app_id: str
    version: int
    dump_digest: bytes
    created_unix_ms: int
    expires_unix_ms: int
    target_key: bytes = b""

    def __post_init__(self) -> None:
        k = self.KIND
        _request_id(self.request_id, k)
        _name(self.app_id, k, "app_id")
        _u64(self.version, k, "version", low=1)
        _digest(self.dump_digest, k, "dump_digest")
        if self.target_key:
            _point(self.target_key, k, "target_key")
        _u64(self.created_unix_ms, k, "created_unix_ms")
        _u64(self.expires_unix_ms, k, "expires_unix_ms")
        lifetime = self.expires_unix_ms - self.created_unix_ms
        _check(0 < lifetime <= MAX_REQUEST_LIFETIME_MS, k, "expires_unix_ms",
               f"lifetime {lifetime} ms; a request expires after its creation, within one day "
               f"({MAX_REQUEST_LIFETIME_MS} ms)")

    @classmethod
    def make(cls, request_id: bytes, app_id: str, version: int, dump_digest: bytes, created_unix_ms: int,
             lifetime_ms: int = DEFAULT_REQUEST_LIFETIME_MS, target_key: bytes = b"") -> RecoveryRequested:
        """A request valid for `lifetime_ms` (default one hour, at most one day) from its creation."""
        return cls(request_id, app_id, version, dump_digest, created_unix_ms, created_unix_ms + lifetime_ms,
                   target_key)

    def encode(self) -> bytes:
        return (Writer().var(self.request_id, 1, REQUEST_ID_MAX).text(self.app_id, 1, 128)
                .uint(self.version, 8).fixed(self.dump_digest, DIGEST_LEN).var(self.target_key, 1, POINT_LEN)
                .uint(self.created_unix_ms, 8).uint(self.expires_unix_ms, 8).getvalue())

    @classmethod
    def decode(cls, r: Reader) -> RecoveryRequested:
        request_id, app, version = r.var(1, REQUEST_ID_MAX, "request_id"), r.text(1, 128, "app_id"), r.uint(8, "version")
        digest, target = r.take(DIGEST_LEN, "dump_digest"), r.var(1, POINT_LEN, "target_key")
        return cls(request_id, app, version, digest, r.uint(8, "created_unix_ms"), r.uint(8, "expires_unix_ms"),
                   target)

    def to_json(self) -> dict[str, object]:
        return {"request_id": self.request_id.hex(), "app_id": self.app_id, "version": self.version,
                "dump_digest": self.dump_digest.hex(), "target_key": self.target_key.hex() or None,
                "created_unix_ms": self.created_unix_ms, "expires_unix_ms": self.expires_unix_ms}


@dataclass(frozen=True)
class ShareReleased:
    """A member's statement that it released its decryption share for one request."""

    KIND: ClassVar[Kind] = Kind.SHARE_RELEASED
    request_id: bytes
    member_key: bytes

    def __post_init__(self) -> None:
        _request_id(self.request_id, self.KIND)
        _check(len(self.member_key) == KEY_LEN, self.KIND, "member_key", f"expected {KEY_LEN} bytes")

    def encode(self) -> bytes:
        return Writer().var(self.request_id, 1, REQUEST_ID_MAX).fixed(self.member_key, KEY_LEN).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> ShareReleased:
        return cls(r.var(1, REQUEST_ID_MAX, "request_id"), r.take(KEY_LEN, "member_key"))

    def to_json(self) -> dict[str, object]:
        return {"request_id": self.request_id.hex(), "member_key": self.member_key.hex()}


MAX_STATEMENTS: Final = 255


def release_message(key_id: str, request_id: bytes) -> bytes:
    """What a member signs (kind "log-release") to state it released its share for one request of
    one key: u8-length key id ‖ u8-length request id. The signer's key names the member."""
    kid = key_id.encode()
    return bytes([len(kid)]) + kid + bytes([len(request_id)]) + request_id


@dataclass(frozen=True)
class ReleaseStatement:
    """One member's signed statement, carried in a shares-released entry: its key and signature."""

    member_key: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check(len(self.member_key) == KEY_LEN, Kind.SHARES_RELEASED, "member_key", f"expected {KEY_LEN} bytes")
        _check(len(self.signature) == SIG_LEN, Kind.SHARES_RELEASED, "signature", f"expected {SIG_LEN} bytes")


@dataclass(frozen=True)
class SharesReleased:
    """Several members' releases for one request in one entry, each stated and signed by its member
    (the batched form of share-released: one log round for the t releases of a recovery)."""

    KIND: ClassVar[Kind] = Kind.SHARES_RELEASED
    request_id: bytes
    statements: tuple[ReleaseStatement, ...]

    def __post_init__(self) -> None:
        _request_id(self.request_id, self.KIND)
        _check(1 <= len(self.statements) <= MAX_STATEMENTS, self.KIND, "statements",
               f"{len(self.statements)} statements, expected 1..{MAX_STATEMENTS}")
        keys = [s.member_key for s in self.statements]
        _check(all(a < b for a, b in pairwise(keys)), self.KIND, "statements",
               "expected distinct members in increasing key order")

    @classmethod
    def of(cls, request_id: bytes, statements: list[ReleaseStatement]) -> SharesReleased:
        """The canonical body: statements sorted by member key."""
        return cls(request_id, tuple(sorted(statements, key=lambda s: s.member_key)))

    def encode(self) -> bytes:
        w = Writer().var(self.request_id, 1, REQUEST_ID_MAX).uint(len(self.statements), 1)
        for s in self.statements:
            w.fixed(s.member_key, KEY_LEN).fixed(s.signature, SIG_LEN)
        return w.getvalue()

    @classmethod
    def decode(cls, r: Reader) -> SharesReleased:
        request_id, count = r.var(1, REQUEST_ID_MAX, "request_id"), r.uint(1, "statements")
        statements = tuple(ReleaseStatement(r.take(KEY_LEN, "member_key"), r.take(SIG_LEN, "signature"))
                           for _ in range(count))
        return cls(request_id, statements)

    def to_json(self) -> dict[str, object]:
        return {"request_id": self.request_id.hex(),
                "statements": [{"member_key": s.member_key.hex(), "signature": s.signature.hex()}
                               for s in self.statements]}


@dataclass(frozen=True)
class OlderDumpAllowed:
    """The `--allow-older` decision: the newest announced version is skipped for an older one."""

    KIND: ClassVar[Kind] = Kind.OLDER_DUMP_ALLOWED
    app_id: str
    skipped_version: int
    skipped_digest: bytes
    used_version: int
    used_digest: bytes
    reason: str

    def __post_init__(self) -> None:
        k = self.KIND
        _name(self.app_id, k, "app_id")
        _u64(self.skipped_version, k, "skipped_version", low=2)
        _u64(self.used_version, k, "used_version", low=1)
        _check(self.used_version < self.skipped_version, k, "used_version",
               f"{self.used_version} must be older than the skipped version {self.skipped_version}")
        _digest(self.skipped_digest, k, "skipped_digest")
        _digest(self.used_digest, k, "used_digest")
        _check(bool(self.reason), k, "reason", "say why the newest version is skipped")
        _reason(self.reason, k)

    def encode(self) -> bytes:
        return (Writer().text(self.app_id, 1, 128).uint(self.skipped_version, 8)
                .fixed(self.skipped_digest, DIGEST_LEN).uint(self.used_version, 8)
                .fixed(self.used_digest, DIGEST_LEN).text(self.reason, 2, MAX_REASON).getvalue())

    @classmethod
    def decode(cls, r: Reader) -> OlderDumpAllowed:
        return cls(r.text(1, 128, "app_id"), r.uint(8, "skipped_version"), r.take(DIGEST_LEN, "skipped_digest"),
                   r.uint(8, "used_version"), r.take(DIGEST_LEN, "used_digest"), r.text(2, MAX_REASON, "reason"))

    def to_json(self) -> dict[str, object]:
        return {"app_id": self.app_id, "skipped_version": self.skipped_version,
                "skipped_digest": self.skipped_digest.hex(), "used_version": self.used_version,
                "used_digest": self.used_digest.hex(), "reason": self.reason}


@dataclass(frozen=True)
class KeyRotated:
    """New dumps go to the successor key from now on; this key stays for existing dumps."""

    KIND: ClassVar[Kind] = Kind.KEY_ROTATED
    successor_key_id: str

    def __post_init__(self) -> None:
        _check(is_valid_key_id(self.successor_key_id), self.KIND, "successor_key_id",
               f"expected {KEY_ID_RE.pattern}, not . or ..")

    def encode(self) -> bytes:
        return Writer().text(self.successor_key_id, 1, 64).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> KeyRotated:
        return cls(r.text(1, 64, "successor_key_id"))

    def to_json(self) -> dict[str, object]:
        return {"successor_key_id": self.successor_key_id}


@dataclass(frozen=True)
class KeyRetired:
    """Irreversible: after the waiting period the members erase every share of the key."""

    KIND: ClassVar[Kind] = Kind.KEY_RETIRED
    waiting_period_ms: int
    reason: str = ""

    def __post_init__(self) -> None:
        _check(0 <= self.waiting_period_ms <= MAX_WAITING_PERIOD_MS, self.KIND, "waiting_period_ms",
               f"{self.waiting_period_ms} outside 0..{MAX_WAITING_PERIOD_MS} (one year)")
        _reason(self.reason, self.KIND)

    def encode(self) -> bytes:
        return Writer().uint(self.waiting_period_ms, 8).text(self.reason, 2, MAX_REASON).getvalue()

    @classmethod
    def decode(cls, r: Reader) -> KeyRetired:
        return cls(r.uint(8, "waiting_period_ms"), r.text(2, MAX_REASON, "reason"))

    def to_json(self) -> dict[str, object]:
        return {"waiting_period_ms": self.waiting_period_ms, "reason": self.reason}


Body = (Genesis | RosterProposed | EpochCommitted | PolicyChanged | SealerAdmitted | SealerRevoked | Freeze
        | Unfreeze | AdvisoryForbidden | DumpAnnounced | RecoveryRequested | ShareReleased | OlderDumpAllowed
        | KeyRotated | KeyRetired | SharesReleased)

B = TypeVar("B", bound=Body)

BODY_TYPES: Final[dict[Kind, type[Body]]] = {
    cls.KIND: cls for cls in (Genesis, RosterProposed, EpochCommitted, PolicyChanged, SealerAdmitted,
                              SealerRevoked, Freeze, Unfreeze, AdvisoryForbidden, DumpAnnounced,
                              RecoveryRequested, ShareReleased, OlderDumpAllowed, KeyRotated, KeyRetired,
                              SharesReleased)
}
_DECODERS: Final[dict[Kind, Callable[[Reader], Body]]] = {k: c.decode for k, c in BODY_TYPES.items()}


def decode_body(kind: Kind, data: bytes) -> Body:
    """The body of an entry of `kind` from its canonical bytes; LogDecodeError otherwise."""
    r = Reader(data, kind.label)
    body = _DECODERS[kind](r)
    r.end()
    return body
