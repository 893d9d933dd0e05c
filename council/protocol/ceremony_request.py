"""The operator-signed ceremony request, and the previous epoch's public data it may carry.

A request names the ceremony (kind, id, key id) and its rosters. For a re-share it also carries
the previous epoch's commit, commit signatures and verification shares: members of the old
committee ignore these and use their own stored epoch, new members accept them only if at least
`t` members of the old roster signed that commit and the Y_j list hashes to its digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from council.bundle import valid_signers
from council.crypto.bn254.sharing import BnPrevious
from council.crypto.codec import Reader, Writer
from council.crypto.group import Point
from council.crypto.messages import (
    CommitSignature,
    EpochCommit,
    Kind,
    PreviousEpoch,
    bn254_digest,
    verification_shares_digest,
)
from council.crypto.signing import Signer, verify
from council.errors import CeremonyError, DecodeError, KeycouncilError, PolicyRefused
from council.roster import Roster

REQUEST_KIND = "ceremony-request"
REQUEST_FORMAT = "keycouncil-ceremony-request/1"


@dataclass(frozen=True)
class EpochData:
    """A committed epoch's public data: commit, signatures, every Y_j; and the BN254 signing key's
    public data (G2 key, G1 key, every BN254 Y_j) when the commit has one."""

    commit: EpochCommit
    signatures: tuple[CommitSignature, ...]
    verification_shares: dict[int, Point]
    bn254: BnPrevious | None = None

    def write(self, w: Writer) -> None:
        w.blob(self.commit.to_bytes()).uint(len(self.signatures), 2)
        for s in self.signatures:
            w.uint(s.member, 2).blob(s.signature)
        w.uint(len(self.verification_shares), 2)
        for j in sorted(self.verification_shares):
            w.uint(j, 2).point(self.verification_shares[j])
        if self.commit.bn254_digest is not None:  # present exactly when the commit has a signing key
            w.blob(self.bn254.to_bytes() if self.bn254 is not None else b"")

    @classmethod
    def read(cls, r: Reader) -> EpochData:
        commit = EpochCommit.from_bytes(r.blob("previous.commit"))
        sigs = tuple(CommitSignature(r.uint(2, "signer"), r.blob("signature")) for _ in range(r.uint(2, "count")))
        shares = {}
        for _ in range(r.uint(2, "share count")):
            j = r.uint(2, "index")
            shares[j] = r.point(f"Y_{j}")
        bn254 = None
        if commit.bn254_digest is not None:
            raw = r.blob("previous.bn254")
            bn254 = BnPrevious.from_bytes(raw, "previous.bn254") if raw else None
        return cls(commit, sigs, shares, bn254)

    def verified_against(self, roster: Roster, key_id: str) -> PreviousEpoch:
        """The previous epoch, if this data is what `t` members of `roster` committed."""
        c = self.commit
        if c.key_id != key_id or c.roster_digest != roster.digest() or c.threshold != roster.threshold:
            raise CeremonyError(f"previous epoch {c.epoch} of key {c.key_id!r} is not a commit of the old roster")
        good = valid_signers(c, self.signatures, roster)
        if len(good) < c.threshold:
            raise CeremonyError(f"previous epoch {c.epoch}: {len(good)} valid commit signatures, {c.threshold} needed")
        if set(self.verification_shares) != set(range(1, len(roster.members) + 1)) or \
                verification_shares_digest(self.verification_shares) != c.verification_shares_digest:
            raise CeremonyError(f"previous epoch {c.epoch}: verification shares do not match the commit")
        return PreviousEpoch(c.epoch, c.public_key, dict(self.verification_shares), self.verified_bn254())

    def verified_bn254(self) -> BnPrevious | None:
        """The BN254 public data if the commit has a signing key and it hashes to the commit's digest."""
        c = self.commit
        if c.bn254_digest is None:
            return None
        if self.bn254 is None or bn254_digest(self.bn254) != c.bn254_digest:
            raise CeremonyError(f"epoch {c.epoch} of key {c.key_id!r}: the BN254 signing key's public data "
                                "is missing or does not match the commit")
        return self.bn254


@dataclass(frozen=True)
class StartRequest:
    """What the operator asks the council to run."""

    kind: Kind
    ceremony_id: bytes
    key_id: str
    new_roster: Roster
    old_roster: Roster | None = None
    previous: EpochData | None = None
    signing_key: bool = False
    """Make the council's BN254 signing key in this ceremony (a DKG, or a re-share of an epoch without
    one); a re-share of an epoch that has one carries it whatever this says."""

    def __post_init__(self) -> None:
        if (self.kind is Kind.RESHARE) != (self.old_roster is not None and self.previous is not None):
            raise ValueError("a re-share names the old roster and previous epoch; a DKG neither")
        if len(self.ceremony_id) != 16:
            raise ValueError("ceremony ids are 16 bytes")

    @property
    def epoch(self) -> int:
        return 0 if self.previous is None else self.previous.commit.epoch + 1

    @property
    def authorising_roster(self) -> Roster:
        """Whose operators may ask: the council's current roster (the old one in a re-share)."""
        return self.old_roster or self.new_roster

    def to_bytes(self) -> bytes:
        w = Writer().text(REQUEST_FORMAT).text(self.kind.value).blob(self.ceremony_id).text(self.key_id)
        w.blob(self.new_roster.canonical_bytes())
        w.blob(self.old_roster.canonical_bytes() if self.old_roster else b"")
        if self.previous is not None:
            self.previous.write(w)
        if self.signing_key:  # absent otherwise: requests of earlier versions decode unchanged
            w.text("signing-key")
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> StartRequest:
        r = Reader(data, "ceremony request")
        try:
            if r.text("format") != REQUEST_FORMAT:
                raise DecodeError(f"ceremony request: format is not {REQUEST_FORMAT!r}")
            kind, cid, key_id = Kind(r.text("kind")), r.blob("ceremony_id"), r.text("key_id")
            new = Roster.loads(r.blob("new_roster"), "request.new_roster")
            old_bytes = r.blob("old_roster")
            old = Roster.loads(old_bytes, "request.old_roster") if old_bytes else None
            previous = EpochData.read(r) if kind is Kind.RESHARE else None
            signing_key = False
            if not r.at_end():
                if r.text("option") != "signing-key":
                    raise DecodeError("ceremony request: unknown option after the rosters")
                signing_key = True
            r.end()
            return cls(kind, cid, key_id, new, old, previous, signing_key)
        except ValueError as exc:
            raise DecodeError(f"ceremony request: {exc}") from None


@dataclass(frozen=True)
class SignedRequest:
    """A request with the operator's signature; `raw` keeps the exact bytes that were signed."""

    request: StartRequest
    raw: bytes
    operator_key: bytes
    signature: bytes

    @classmethod
    def create(cls, request: StartRequest, signer: Signer) -> SignedRequest:
        raw = request.to_bytes()
        return cls(request, raw, signer.public_key, signer.sign(REQUEST_KIND, raw))

    @classmethod
    def parse(cls, raw: bytes, operator_key: bytes, signature: bytes) -> SignedRequest:
        """Decode and check the signature (not yet whether the signer may ask: see `authorise`).

        Every RPC of a ceremony relays the same request, and a member reads it from its ceremony
        folder again: the same three byte strings give the request already checked and decoded
        (rosters, previous epoch and its points) instead of checking and decoding them again."""
        return _parse_cached(raw, operator_key, signature)

    def operator_name(self) -> str:
        """The operator of the authorising roster who signed, or raise CeremonyError."""
        for op in self.request.authorising_roster.operators:
            if op.signing_key == self.operator_key:
                return op.name
        raise PolicyRefused(f"ceremony request signed by {self.operator_key.hex()[:16]}…, "
                            "which is not an operator of the council's roster")

    def to_bytes(self) -> bytes:
        return Writer().blob(self.raw).blob(self.operator_key).blob(self.signature).getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedRequest:
        r = Reader(data, "signed request")
        raw, key, sig = r.blob("body"), r.blob("operator_key"), r.blob("signature")
        r.end()
        try:
            return cls.parse(raw, key, sig)
        except KeycouncilError as exc:
            raise DecodeError(f"stored ceremony request: {exc}") from None


@lru_cache(maxsize=16)
def _parse_cached(raw: bytes, operator_key: bytes, signature: bytes) -> SignedRequest:
    """Only requests whose signature verified are kept (a failure raises, and is never cached);
    the value is immutable, so every caller may share it."""
    verify(operator_key, REQUEST_KIND, raw, signature, "ceremony request")
    return SignedRequest(StartRequest.from_bytes(raw), raw, operator_key, signature)
