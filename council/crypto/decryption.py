"""Threshold decryption: decryption shares with DLEQ proofs, combining, target-bound shares.

A member asked under request context `ctx` (1) checks the KEM proof for the label, then (2) returns
`D_i = x_i·R` with a DLEQ proof against its verification share `Y_i`. The combiner verifies each
proof, names every member whose share fails, and with `t` good shares computes `Z = Σ λ_i·D_i`.
The context carries key id, epoch and request id, so shares of two epochs never combine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from council.crypto import dleq, ecies, kem
from council.crypto.dleq import DLEQ_LEN, DleqProof
from council.crypto.group import POINT_LEN, Point, RandomSource, Scalar
from council.crypto.hashing import encode_parts
from council.crypto.kem import KemCiphertext
from council.crypto.lagrange import lagrange_at_zero
from council.errors import DecodeError, NotEnoughShares, ProofError, ShareInvalid

DEC_SHARE = "DEC-SHARE"
TARGET_INFO = b"KEYCOUNCIL-V1-TARGET-SHARE"


@dataclass(frozen=True, slots=True)
class DecryptionContext:
    """What a decryption share is bound to: key, epoch, request (and the ciphertext's R)."""

    key_id: str
    epoch: int
    request_id: bytes

    def to_bytes(self, ciphertext: KemCiphertext) -> bytes:
        return encode_parts(self.key_id.encode(), self.epoch.to_bytes(8, "big"), self.request_id,
                            ciphertext.r_point.to_bytes())


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """`D_i = x_i·R` of member `index`, with its DLEQ proof against `Y_i`."""

    index: int
    d: Point
    proof: DleqProof

    def to_bytes(self) -> bytes:
        return self.index.to_bytes(2, "big") + self.d.to_bytes() + self.proof.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "decryption share") -> DecryptionShare:
        if len(data) != 2 + POINT_LEN + DLEQ_LEN:
            raise DecodeError(f"{field}: expected {2 + POINT_LEN + DLEQ_LEN} bytes, got {len(data)}")
        index = int.from_bytes(data[:2], "big")
        if index == 0:
            raise DecodeError(f"{field}: member index 0 is reserved for the secret")
        d = Point.from_bytes(data[2 : 2 + POINT_LEN], f"{field}.D")
        return cls(index, d, DleqProof.from_bytes(data[2 + POINT_LEN :], f"{field}.proof"))


def create_share(ctx: DecryptionContext, ciphertext: KemCiphertext, label: bytes, index: int,
                 secret_share: Scalar, rng: RandomSource | None = None) -> DecryptionShare:
    """Steps (1)–(2): refuse a mauled ciphertext, then prove `D_i = x_i·R`."""
    kem.verify_ciphertext(ciphertext, label)
    d, proof = dleq.prove(DEC_SHARE, ctx.to_bytes(ciphertext), secret_share, ciphertext.r_point, rng)
    return DecryptionShare(index, d, proof)


def verify_share(ctx: DecryptionContext, ciphertext: KemCiphertext, share: DecryptionShare,
                 verification_share: Point) -> None:
    """Raise ShareInvalid unless the share's DLEQ proof holds against `Y_i`."""
    try:
        dleq.verify(DEC_SHARE, ctx.to_bytes(ciphertext), verification_share, ciphertext.r_point,
                    share.d, share.proof, what=f"decryption share of member {share.index}")
    except ProofError as exc:
        raise ShareInvalid(str(exc)) from None


@dataclass(frozen=True)
class CombineResult:
    """The shared point `Z`, the members whose shares were used, and every culprit with why."""

    shared_point: Point
    used: tuple[int, ...]
    culprits: Mapping[int, str]


def combine(ctx: DecryptionContext, ciphertext: KemCiphertext, shares: Iterable[DecryptionShare],
            verification_shares: Mapping[int, Point], threshold: int) -> CombineResult:
    """Verify shares one by one (lowest index first), drop bad ones, combine the first `t` good."""
    good: list[DecryptionShare] = []
    culprits: dict[int, str] = {}
    for share in sorted(shares, key=lambda s: s.index):
        if len(good) == threshold:
            break
        if share.index in culprits or any(g.index == share.index for g in good):
            continue
        reason = _check(ctx, ciphertext, share, verification_shares)
        if reason:
            culprits[share.index] = reason
        else:
            good.append(share)
    if len(good) < threshold:
        raise NotEnoughShares(f"{len(good)} valid decryption shares, {threshold} needed"
                              + (f"; invalid: {_names(culprits)}" if culprits else ""))
    return CombineResult(_interpolate(good), tuple(s.index for s in good), culprits)


def _check(ctx: DecryptionContext, ciphertext: KemCiphertext, share: DecryptionShare,
           verification_shares: Mapping[int, Point]) -> str:
    y_i = verification_shares.get(share.index)
    if y_i is None:
        return f"member {share.index} holds no share in epoch {ctx.epoch}"
    try:
        verify_share(ctx, ciphertext, share, y_i)
    except ShareInvalid as exc:
        return str(exc)
    return ""


def _interpolate(shares: list[DecryptionShare]) -> Point:
    lam = lagrange_at_zero([s.index for s in shares])
    acc = Point.identity()
    for s in shares:
        acc = acc + s.d * lam[s.index]
    return acc


def _names(culprits: Mapping[int, str]) -> str:
    return ", ".join(f"member {i} ({why})" for i, why in sorted(culprits.items()))


def seal_to_target(share: DecryptionShare, target: Point, ctx: DecryptionContext,
                   ciphertext: KemCiphertext, rng: RandomSource | None = None) -> bytes:
    """Target-bound release: the share and proof, ECIES-encrypted to the target's key."""
    info = TARGET_INFO + ctx.to_bytes(ciphertext) + share.index.to_bytes(2, "big")
    return ecies.seal(target, share.to_bytes(), info, rng).to_bytes()


def open_from_target(sealed: bytes, index: int, target_secret: Scalar, ctx: DecryptionContext,
                     ciphertext: KemCiphertext) -> DecryptionShare:
    """On the target: decrypt one member's sealed share (it is verified later by `combine`)."""
    info = TARGET_INFO + ctx.to_bytes(ciphertext) + index.to_bytes(2, "big")
    share = DecryptionShare.from_bytes(ecies.open_(target_secret, ecies.EciesCiphertext.from_bytes(sealed), info))
    if share.index != index:
        raise ShareInvalid(f"sealed share claims member {share.index}, expected member {index}")
    return share
