"""Ceremony messages: frozen values with canonical `to_bytes`/`from_bytes` codecs.

Every message a member sends travels as `Signed` (sender index, body, Ed25519 signature) and carries
the ceremony digest, so a message of one ceremony is never accepted in another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from council.crypto import signing
from council.crypto.codec import Reader, Writer
from council.crypto.committee import Committee, MemberKeys
from council.crypto.dleq import DleqProof
from council.crypto.ecies import EciesCiphertext
from council.crypto.group import Point
from council.crypto.schnorr import SchnorrProof
from council.errors import DecodeError

if TYPE_CHECKING:  # the BN254 code (py_ecc) is imported only where a signing key is decoded:
    # sealing a dump needs none of it, and it is a fifth of the CLI's start-up
    from council.crypto.bn254.sharing import BnDealing, BnPrevious, BnPublicOutput


class Kind(Enum):
    """The two ceremonies: a fresh key, or new shares of an existing key."""

    DKG = "dkg"
    RESHARE = "reshare"


@dataclass(frozen=True)
class PreviousEpoch:
    """What a re-share starts from: the committed epoch's key and verification shares."""

    epoch: int
    public_key: Point
    verification_shares: Mapping[int, Point]
    bn254: BnPrevious | None = None


@dataclass(frozen=True)
class CeremonySpec:
    """Everything a ceremony is about; its digest binds every proof and ciphertext in it.

    `bn254`: every dealing also carries a BN254 sub-dealing for the council's signing key
    (protocol.md §8): fresh in a DKG or when the previous epoch has none, carried over otherwise."""

    kind: Kind
    ceremony_id: bytes
    key_id: str
    epoch: int
    dealers: Committee
    receivers: Committee
    previous: PreviousEpoch | None = None
    bn254: bool = False

    def __post_init__(self) -> None:
        if (self.kind is Kind.RESHARE) != (self.previous is not None):
            raise ValueError("a re-share needs the previous epoch; a DKG must not have one")
        if self.kind is Kind.DKG and self.dealers != self.receivers:
            raise ValueError("in a DKG the dealers are the receivers")
        if self.previous is not None:
            if self.epoch != self.previous.epoch + 1:
                raise ValueError("a re-share creates the epoch after the previous one")
            if set(self.previous.verification_shares) != set(self.dealers.indices):
                raise ValueError("previous verification shares must cover the old committee")
            prev_bn = self.previous.bn254
            if prev_bn is not None and not self.bn254:
                raise ValueError("a re-share of an epoch with a BN254 signing key must carry it")
            if prev_bn is not None and set(prev_bn.verification_shares) != set(self.dealers.indices):
                raise ValueError("previous BN254 verification shares must cover the old committee")

    @property
    def bn254_fresh(self) -> bool:
        """The BN254 key is made in this ceremony (a DKG, or an epoch that had none)."""
        return self.bn254 and (self.previous is None or self.previous.bn254 is None)

    def to_bytes(self) -> bytes:
        w = Writer().text("ceremony-spec").text(self.kind.value).blob(self.ceremony_id)
        w.text(self.key_id).uint(self.epoch, 8)
        for c in (self.dealers, self.receivers):
            _write_committee(w, c)
        if self.previous is not None:
            w.uint(self.previous.epoch, 8).point(self.previous.public_key)
            for i in self.dealers.indices:
                w.point(self.previous.verification_shares[i])
        if self.bn254:  # absent unless asked for, so the digests of other ceremonies do not change
            _write_bn254(w, self)
        return w.getvalue()

    def digest(self) -> bytes:
        """SHA-256 of the canonical encoding (cached: the spec is immutable)."""
        cached = self.__dict__.get("_digest")
        if cached is None:
            cached = hashlib.sha256(self.to_bytes()).digest()
            object.__setattr__(self, "_digest", cached)
        return cached


def _write_bn254(w: Writer, spec: CeremonySpec) -> None:
    w.text("bn254")
    prev = spec.previous.bn254 if spec.previous is not None else None
    if prev is not None:
        w.blob(prev.public_key.to_bytes()).blob(prev.public_key_g1.to_bytes())
        for i in spec.dealers.indices:
            w.blob(prev.verification_shares[i].to_bytes())


def _write_committee(w: Writer, c: Committee) -> None:
    w.uint(c.threshold, 2).uint(c.size, 2).blob(c.roster_digest)
    for i in c.indices:
        m = c.members[i]
        w.uint(i, 2).blob(m.signing_key).point(m.encryption_key)


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed message: sender index, kind, body bytes, signature."""

    kind: str
    sender: int
    body: bytes
    signature: bytes

    def to_bytes(self) -> bytes:
        return Writer().text(self.kind).uint(self.sender, 2).blob(self.body).blob(self.signature).getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signed:
        r = Reader(data, "signed message")
        out = cls(r.text("kind"), r.uint(2, "sender"), r.blob("body"), r.blob("signature"))
        r.end()
        return out

    def verify(self, member: MemberKeys, kind: str) -> None:
        """Raise unless this is `kind`, sent and signed by `member`."""
        if self.kind != kind or self.sender != member.index:
            raise DecodeError(f"expected a {kind} from member {member.index}, "
                              f"got a {self.kind} from member {self.sender}")
        signing.verify(member.signing_key, kind, _signed_part(self), self.signature,
                       f"{kind} of member {member.index}")


def _signed_part(s: Signed) -> bytes:
    return Writer().uint(s.sender, 2).blob(s.body).getvalue()


def sign(signer: signing.Signer, kind: str, sender: int, body: bytes) -> Signed:
    """Wrap `body` as a message of `sender`, signed with its identity key."""
    unsigned = Signed(kind, sender, body, b"")
    return Signed(kind, sender, body, signer.sign(kind, _signed_part(unsigned)))


@dataclass(frozen=True)
class Dealing:
    """Step 1 (deal): commitments, proof of knowledge (DKG), one encrypted share per receiver."""

    ceremony: bytes
    dealer: int
    commitments: tuple[Point, ...]
    pok: SchnorrProof | None
    encrypted_shares: Mapping[int, EciesCiphertext]
    bn254: BnDealing | None = None

    KIND = "dealing"

    def to_bytes(self) -> bytes:
        w = Writer().text(self.KIND).blob(self.ceremony).uint(self.dealer, 2).uint(len(self.commitments), 2)
        for a in self.commitments:
            w.point(a)
        w.blob(self.pok.to_bytes() if self.pok else b"").uint(len(self.encrypted_shares), 2)
        for j in sorted(self.encrypted_shares):
            shares = self.encrypted_shares
            w.uint(j, 2).blob(shares.raw(j) if isinstance(shares, LazyShares) else shares[j].to_bytes())
        if self.bn254 is not None:
            w.blob(self.bn254.to_bytes())
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Dealing:
        r = Reader(data, "dealing")
        _expect_type(r, cls.KIND)
        ceremony, dealer = r.blob("ceremony"), r.uint(2, "dealer")
        commitments = r.points(r.uint(2, "count"), "commitment")
        pok_bytes = r.blob("pok")
        pok = SchnorrProof.from_bytes(pok_bytes, "dealing.pok") if pok_bytes else None
        raw: dict[int, bytes] = {}
        for j, blob in r.indexed_blobs(r.uint(2, "share count"), "share"):
            if j in raw:
                raise DecodeError(f"dealing: two shares for member {j}")
            raw[j] = blob
        bn254 = None if r.at_end() else _bn_dealing(r.blob("bn254"))
        r.end()
        return cls(ceremony, dealer, commitments, pok, LazyShares(raw, dealer), bn254)


class LazyShares(Mapping[int, EciesCiphertext]):
    """Encrypted shares kept as bytes and decoded on first access: a receiver decodes only its
    own ciphertext (n points instead of n² per ceremony). Access raises DecodeError if malformed."""

    def __init__(self, raw: Mapping[int, bytes], dealer: int) -> None:
        self._raw = dict(raw)
        self._dealer = dealer
        self._decoded: dict[int, EciesCiphertext] = {}

    def __getitem__(self, j: int) -> EciesCiphertext:
        if j not in self._decoded:
            self._decoded[j] = EciesCiphertext.from_bytes(self._raw[j], f"dealing {self._dealer}.share[{j}]")
        return self._decoded[j]

    def __iter__(self) -> Iterator[int]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def raw(self, j: int) -> bytes:
        return self._raw[j]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyShares):
            return self._raw == other._raw
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Complaint:
    """A verifiable complaint: `K = p_j·E` for one dealer's ciphertext, with a DLEQ proof."""

    dealer: int
    shared: Point
    proof: DleqProof

    def write(self, w: Writer) -> None:
        w.uint(self.dealer, 2).point(self.shared).blob(self.proof.to_bytes())

    @classmethod
    def read(cls, r: Reader, n: int) -> Complaint:
        return cls(r.uint(2, f"complaint[{n}].dealer"), r.point(f"complaint[{n}].K"),
                   DleqProof.from_bytes(r.blob(f"complaint[{n}].proof"), f"complaint[{n}].proof"))


@dataclass(frozen=True)
class Response:
    """Step 2 (check): a receiver's verdict on its shares; no complaints means all good."""

    ceremony: bytes
    member: int
    complaints: tuple[Complaint, ...]

    KIND = "response"

    def to_bytes(self) -> bytes:
        w = Writer().text(self.KIND).blob(self.ceremony).uint(self.member, 2).uint(len(self.complaints), 2)
        for c in self.complaints:
            c.write(w)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Response:
        r = Reader(data, "response")
        _expect_type(r, cls.KIND)
        ceremony, member = r.blob("ceremony"), r.uint(2, "member")
        complaints = tuple(Complaint.read(r, n) for n in range(r.uint(2, "count")))
        r.end()
        return cls(ceremony, member, complaints)


@dataclass(frozen=True)
class EpochCommit:
    """Step 5 (commit): what receivers sign; the epoch is live once `t` sign the same bytes."""

    key_id: str
    epoch: int
    roster_digest: bytes
    threshold: int
    public_key: Point
    verification_shares_digest: bytes
    transcript_digest: bytes
    bn254_digest: bytes | None = None

    KIND = "epoch-commit"

    def to_bytes(self) -> bytes:
        w = (Writer().text(self.KIND).text(self.key_id).uint(self.epoch, 8).blob(self.roster_digest)
             .uint(self.threshold, 2).point(self.public_key).blob(self.verification_shares_digest)
             .blob(self.transcript_digest))
        if self.bn254_digest is not None:
            w.blob(self.bn254_digest)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> EpochCommit:
        r = Reader(data, "epoch commit")
        _expect_type(r, cls.KIND)
        out = cls(r.text("key_id"), r.uint(8, "epoch"), r.blob("roster_digest"), r.uint(2, "threshold"),
                  r.point("public_key"), r.blob("verification_shares_digest"), r.blob("transcript_digest"),
                  None if r.at_end() else r.blob("bn254_digest"))
        r.end()
        return out


def _expect_type(r: Reader, kind: str) -> None:
    got = r.text("type")
    if got != kind:
        raise DecodeError(f"expected a {kind} message, got {got[:32]!r}")


def verification_shares_digest(shares: Mapping[int, Point]) -> bytes:
    """SHA-256 over the Y_j list in index order."""
    w = Writer()
    for j in sorted(shares):
        w.uint(j, 2).point(shares[j])
    return hashlib.sha256(w.getvalue()).digest()


def bn254_digest(output: BnPublicOutput | BnPrevious) -> bytes:
    """SHA-256 over the BN254 key (G2 and G1) and the Y_j list in index order."""
    w = Writer().text("bn254").blob(output.public_key.to_bytes()).blob(output.public_key_g1.to_bytes())
    for j in sorted(output.verification_shares):
        w.uint(j, 2).blob(output.verification_shares[j].to_bytes())
    return hashlib.sha256(w.getvalue()).digest()


def transcript_digest(spec_digest: bytes, dealings: Sequence[Signed], responses: Sequence[Signed]) -> bytes:
    """SHA-256 over the spec and every relayed dealing and response, in sender order."""
    w = Writer().blob(spec_digest)
    for group in (dealings, responses):
        items = sorted(group, key=lambda s: s.sender)
        w.uint(len(items), 2)
        for s in items:
            w.blob(s.to_bytes())
    return hashlib.sha256(w.getvalue()).digest()


def _bn_dealing(data: bytes) -> BnDealing:
    """Decode a dealing's BN254 part (importing the BN254 code only when one is present)."""
    from council.crypto.bn254.sharing import BnDealing

    return BnDealing.from_bytes(data, "dealing.bn254")


@dataclass(frozen=True)
class CommitSignature:
    """One receiver's signature on an EpochCommit."""

    member: int
    signature: bytes
