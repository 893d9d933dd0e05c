"""Entries, approvals and records (an entry with its approvals): values and canonical bytes.

Byte tables in docs/log-format.md, "Entry", "Approval", "Record". The entry digest covers every
field but the author's signature; the author signs the digest, and each approving member signs
(key id, sequence number, digest). Parsing checks the shape only: whether a signature verifies and
whether an entry may follow the log so far is `rules`' job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from council.crypto.signing import Signer
from council.log.bodies import (
    KEY_LEN,
    SIG_LEN,
    Body,
    ReleaseStatement,
    decode_body,
    release_message,
)
from council.log.errors import LogDecodeError
from council.log.kinds import Kind, Role
from council.log.sigcheck import APPROVAL_KIND, ENTRY_KIND, RELEASE_KIND, is_valid
from council.log.wire import Reader, Writer, is_valid_key_id

MAGIC: Final = b"KCLOG"
VERSION: Final = 1
ENTRY_DOMAIN: Final = b"KEYCOUNCIL-V1-LOG-ENTRY\x00"
GENESIS_PREVIOUS: Final = bytes(32)
DIGEST_LEN: Final = 32
MAX_BODY: Final = 2 * 1024 * 1024
MAX_ENTRY: Final = MAX_BODY + 256
MAX_ANCHOR: Final = 1024
MAX_APPROVALS: Final = 0xFFFF


@dataclass(frozen=True)
class Author:
    """Who wrote an entry: a role and an Ed25519 public key."""

    role: Role
    public_key: bytes


@dataclass(frozen=True)
class Entry:
    """One log entry: position in the chain, key id, typed body, author and author signature."""

    seq: int
    previous: bytes
    key_id: str
    body: Body
    author: Author
    signature: bytes
    _core: bytes = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.seq < 1 << 64:
            raise LogDecodeError(f"entry.seq: {self.seq} outside 0..2^64-1")
        if len(self.previous) != DIGEST_LEN:
            raise LogDecodeError(f"entry.previous: expected {DIGEST_LEN} bytes")
        if not is_valid_key_id(self.key_id):
            raise LogDecodeError(f"entry.key_id: {self.key_id[:70]!r} is not 1..64 characters of [A-Za-z0-9._-]")
        if len(self.author.public_key) != KEY_LEN:
            raise LogDecodeError(f"entry.author: expected a {KEY_LEN}-byte key")
        if len(self.signature) != SIG_LEN:
            raise LogDecodeError(f"entry.signature: expected {SIG_LEN} bytes")
        object.__setattr__(self, "_core", entry_core(self.seq, self.previous, self.key_id, self.body.KIND,
                                                     self.author, self.body.encode()))

    @property
    def kind(self) -> Kind:
        return self.body.KIND

    @property
    def core(self) -> bytes:
        """Every field but the signature: what the digest covers."""
        return self._core

    @property
    def digest(self) -> bytes:
        """SHA-256(ENTRY_DOMAIN ‖ core): the entry's id, chain link and what approvals sign."""
        cached = self.__dict__.get("_digest")
        if cached is None:
            cached = entry_digest(self._core)
            object.__setattr__(self, "_digest", cached)
        return cached

    @property
    def id(self) -> str:
        """The digest in hex: the id operators type (`member approve DIR ID`)."""
        return self.digest.hex()

    @property
    def approval_message(self) -> bytes:
        """What each approving member signs: `approval_message(key_id, seq, digest)` (cached)."""
        cached = self.__dict__.get("_approval_message")
        if cached is None:
            cached = approval_message(self.key_id, self.seq, self.digest)
            object.__setattr__(self, "_approval_message", cached)
        return cached

    def author_signature_valid(self) -> bool:
        return is_valid(self.author.public_key, ENTRY_KIND, self.digest, self.signature)

    def to_bytes(self) -> bytes:
        return self._core + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Parse one entry; LogDecodeError unless `data` is exactly one canonical entry."""
        r = Reader(data, "entry")
        entry = _read_entry(r)
        r.end()
        return entry


def entry_core(seq: int, previous: bytes, key_id: str, kind: Kind, author: Author, body: bytes) -> bytes:
    """magic ‖ version ‖ u64 seq ‖ previous ‖ u8-length key id ‖ kind ‖ role ‖ author key ‖ u32-length body."""
    kid = key_id.encode()
    if not 0 <= seq < 1 << 64 or len(previous) != DIGEST_LEN or len(kid) > 64 or not 0 <= kind < 256 \
            or not 0 <= author.role < 256 or len(author.public_key) != KEY_LEN or len(body) > MAX_BODY:
        raise ValueError("entry field out of range")  # a caller bug: `Entry` checks its fields first
    return b"".join((_CORE_HEAD, seq.to_bytes(8, "big"), previous, len(kid).to_bytes(1, "big"), kid,
                     bytes((kind, author.role)), author.public_key, len(body).to_bytes(4, "big"), body))


_CORE_HEAD: Final = MAGIC + VERSION.to_bytes(1, "big")


def entry_digest(core: bytes) -> bytes:
    return hashlib.sha256(ENTRY_DOMAIN + core).digest()


def _read_entry(r: Reader) -> Entry:
    start = r.position
    if r.take(len(MAGIC), "magic") != MAGIC:
        raise r.fail("magic", "not a keycouncil log entry (expected 'KCLOG')")
    version = r.uint(1, "version")
    if version != VERSION:
        raise r.fail("version", f"log format version {version} is not supported (this reader knows {VERSION})")
    seq, previous = r.uint(8, "seq"), r.take(DIGEST_LEN, "previous")
    key_id = r.text(1, 64, "key_id")
    kind_code, role_code = r.uint(1, "kind"), r.uint(1, "role")
    try:
        kind, role = Kind(kind_code), Role(role_code)
    except ValueError:
        raise r.fail("kind", f"unknown kind {kind_code} or role {role_code}") from None
    author_key = r.take(KEY_LEN, "author")
    body_bytes = r.var(4, MAX_BODY, "body")
    core_end = r.position
    signature = r.take(SIG_LEN, "signature")
    entry = Entry(seq, previous, key_id, decode_body(kind, body_bytes), Author(role, author_key), signature)
    if entry.core != r.consumed(start, core_end):  # the body codecs are canonical; never trust it blindly
        raise r.fail("body", "not in canonical encoding")
    return entry


def sign_entry(signer: Signer, role: Role, key_id: str, seq: int, previous: bytes, body: Body) -> Entry:
    """Build and sign an entry as its author (the signature covers the digest)."""
    author = Author(role, signer.public_key)
    core = entry_core(seq, previous, key_id, body.KIND, author, body.encode())
    return Entry(seq, previous, key_id, body, author, signer.sign(ENTRY_KIND, entry_digest(core)))


def sign_release(signer: Signer, key_id: str, request_id: bytes) -> ReleaseStatement:
    """A member's signed statement that it released its share for `request_id` of `key_id`."""
    return ReleaseStatement(signer.public_key, signer.sign(RELEASE_KIND, release_message(key_id, request_id)))


def release_valid(statement: ReleaseStatement, key_id: str, request_id: bytes) -> bool:
    """True when the statement is its member's signature of this key's and request's release."""
    return is_valid(statement.member_key, RELEASE_KIND, release_message(key_id, request_id), statement.signature)


@dataclass(frozen=True)
class Approval:
    """A member's approval of one entry, plus an optional opaque BN254 partial signature of the head."""

    member_key: bytes
    signature: bytes
    anchor: bytes = b""

    def __post_init__(self) -> None:
        if len(self.member_key) != KEY_LEN or len(self.signature) != SIG_LEN:
            raise LogDecodeError(f"approval: expected a {KEY_LEN}-byte key and a {SIG_LEN}-byte signature")
        if len(self.anchor) > MAX_ANCHOR:
            raise LogDecodeError(f"approval.anchor: {len(self.anchor)} bytes, at most {MAX_ANCHOR}")

    def is_valid_for(self, entry: Entry) -> bool:
        """True when this is `member_key`'s signature over (key id, seq, digest) of `entry`."""
        return is_valid(self.member_key, APPROVAL_KIND, entry.approval_message, self.signature)

    def to_bytes(self) -> bytes:
        return (Writer().fixed(self.member_key, KEY_LEN).fixed(self.signature, SIG_LEN)
                .var(self.anchor, 2, MAX_ANCHOR).getvalue())

    @classmethod
    def from_bytes(cls, data: bytes) -> Approval:
        """One approval as a member sends it (the same bytes as inside a record)."""
        r = Reader(data, "approval")
        approval = _read_approval(r)
        r.end()
        return approval


def approval_message(key_id: str, seq: int, digest: bytes) -> bytes:
    """magic ‖ version ‖ u8-length key id ‖ u64 seq ‖ entry digest: what an approval signs."""
    return Writer().raw(MAGIC).uint(VERSION, 1).text(key_id, 1, 64).uint(seq, 8).fixed(digest, DIGEST_LEN).getvalue()


def approve(signer: Signer, entry: Entry, anchor: bytes = b"") -> Approval:
    """A member's approval of `entry` (sign only: persisting it first is the caller's duty)."""
    return Approval(signer.public_key, signer.sign(APPROVAL_KIND, entry.approval_message), anchor)


_PLAIN_APPROVAL: Final = KEY_LEN + SIG_LEN + 2


def _read_approval(r: Reader) -> Approval:
    plain = r.peek(_PLAIN_APPROVAL)  # most approvals carry no anchor: read them in one piece
    if plain is not None and plain.endswith(b"\x00\x00"):
        r.take(_PLAIN_APPROVAL, "approval")
        return Approval(plain[:KEY_LEN], plain[KEY_LEN:KEY_LEN + SIG_LEN])
    return Approval(r.take(KEY_LEN, "member_key"), r.take(SIG_LEN, "signature"), r.var(2, MAX_ANCHOR, "anchor"))


@dataclass(frozen=True)
class LogRecord:
    """An entry with the approvals gathered for it, in ascending order of member key."""

    entry: Entry
    approvals: tuple[Approval, ...] = ()

    def __post_init__(self) -> None:
        keys = [a.member_key for a in self.approvals]
        if any(a >= b for a, b in zip(keys, keys[1:], strict=False)):
            raise LogDecodeError(f"record {self.entry.seq}: approvals must be in strictly ascending order of "
                                 "member key (one per member)")
        if len(keys) > MAX_APPROVALS:
            raise LogDecodeError(f"record {self.entry.seq}: more than {MAX_APPROVALS} approvals")

    @classmethod
    def of(cls, entry: Entry, approvals: Iterable[Approval]) -> LogRecord:
        """A record with the approvals sorted, keeping the first approval of each member."""
        chosen: dict[bytes, Approval] = {}
        for a in approvals:
            chosen.setdefault(a.member_key, a)
        return cls(entry, tuple(chosen[k] for k in sorted(chosen)))

    def to_bytes(self) -> bytes:
        """The record's bytes: kept from the parse (canonical, so the same bytes) or encoded once."""
        cached = self.__dict__.get("_bytes")
        if cached is None:
            w = Writer().var(self.entry.to_bytes(), 4, MAX_ENTRY).uint(len(self.approvals), 2)
            for a in self.approvals:
                w.raw(a.to_bytes())
            cached = w.getvalue()
            object.__setattr__(self, "_bytes", cached)
        return cached

    @classmethod
    def from_bytes(cls, data: bytes) -> LogRecord:
        r = Reader(data, "record")
        record = read_record(r)
        r.end()
        return record


def read_record(r: Reader) -> LogRecord:
    """One record from a reader positioned at its start (used by the export file codec)."""
    start = r.position
    entry = Entry.from_bytes(r.var(4, MAX_ENTRY, "entry"))
    count = r.uint(2, "approval_count")
    record = LogRecord(entry, tuple(_read_approval(r) for _ in range(count)))
    object.__setattr__(record, "_bytes", r.consumed(start, r.position))  # every field is canonical
    return record
