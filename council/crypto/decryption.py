"""Threshold decryption: decryption shares with DLEQ proofs, combining, target-bound shares.

A member asked under request context `ctx` (1) checks the KEM proof for the label, then (2) returns
`D_i = x_i·R` with a DLEQ proof (commitment form, `dleq_batch`) against its verification share
`Y_i`. The combiner checks the proofs of the shares it needs in one batch (one random linear
combination, one multi-scalar multiplication); only if the batch fails does it check them one by
one, so every member whose share fails is still named. With `t` good shares it computes
`Z = Σ λ_i·D_i`. The context carries key id, epoch and request id, so shares of two epochs never
combine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from council.crypto import dleq_batch, ecies, kem, rawec
from council.crypto.dleq_batch import COMMITTED_DLEQ_LEN, CommittedDleqProof, DleqStatement
from council.crypto.group import POINT_LEN, Point, Q, RandomSource, Scalar
from council.crypto.hashing import encode_parts
from council.crypto.kem import KemCiphertext
from council.crypto.lagrange import integer_lagrange_at_zero, lagrange_at_zero
from council.crypto.msm import msm
from council.errors import DecodeError, NotEnoughShares, ProofError, ShareInvalid

DEC_SHARE = "DEC-SHARE"
TARGET_INFO = b"KEYCOUNCIL-V1-TARGET-SHARE"
SHARE_LEN = 2 + POINT_LEN + COMMITTED_DLEQ_LEN  # index ‖ D ‖ U1 ‖ U2 ‖ z = 133 bytes


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
    proof: CommittedDleqProof

    def to_bytes(self) -> bytes:
        return self.index.to_bytes(2, "big") + self.d.to_bytes() + self.proof.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "decryption share") -> DecryptionShare:
        if len(data) != SHARE_LEN:
            raise DecodeError(f"{field}: expected {SHARE_LEN} bytes, got {len(data)}")
        index = int.from_bytes(data[:2], "big")
        if index == 0:
            raise DecodeError(f"{field}: member index 0 is reserved for the secret")
        d = Point.from_bytes(data[2 : 2 + POINT_LEN], f"{field}.D")
        return cls(index, d, CommittedDleqProof.from_bytes(data[2 + POINT_LEN :], f"{field}.proof"))


def create_share(ctx: DecryptionContext, ciphertext: KemCiphertext, label: bytes, index: int,
                 secret_share: Scalar, rng: RandomSource | None = None,
                 verification_share: Point | None = None, product: Point | None = None) -> DecryptionShare:
    """Steps (1)–(2): refuse a mauled ciphertext, then prove `D_i = x_i·R` (`verification_share`:
    `x_i·G`, `product`: `x_i·R`, if the caller holds them already, each of which must be exactly that)."""
    kem.verify_ciphertext(ciphertext, label)
    d, proof = dleq_batch.prove(DEC_SHARE, ctx.to_bytes(ciphertext), secret_share, ciphertext.r_point, rng,
                                verification_share, product)
    return DecryptionShare(index, d, proof)


def _statement(ctx_bytes: bytes, ciphertext: KemCiphertext, share: DecryptionShare,
               verification_share: Point) -> DleqStatement:
    return DleqStatement(ctx_bytes, verification_share, ciphertext.r_point, share.d, share.proof)


def verify_share(ctx: DecryptionContext, ciphertext: KemCiphertext, share: DecryptionShare,
                 verification_share: Point) -> None:
    """Raise ShareInvalid unless the share's DLEQ proof holds against `Y_i`."""
    try:
        dleq_batch.verify(DEC_SHARE, _statement(ctx.to_bytes(ciphertext), ciphertext, share, verification_share),
                          what=f"decryption share of member {share.index}")
    except ProofError as exc:
        raise ShareInvalid(str(exc)) from None


def invalid_shares(ctx: DecryptionContext, ciphertext: KemCiphertext, shares: Sequence[DecryptionShare],
                   verification_shares: Mapping[int, Point],
                   rng: RandomSource | None = None) -> dict[int, str]:
    """Every share of `shares` that fails, with why (empty: all valid). One batch check first;
    one by one only when it fails, to name each culprit exactly as `verify_share` would."""
    culprits = {s.index: f"member {s.index} holds no share in epoch {ctx.epoch}"
                for s in shares if s.index not in verification_shares}
    ctx_bytes = ctx.to_bytes(ciphertext)
    rest = [s for s in shares if s.index not in culprits]
    statements = [_statement(ctx_bytes, ciphertext, s, verification_shares[s.index]) for s in rest]
    if dleq_batch.verify_batch(DEC_SHARE, statements, rng):
        return culprits
    for share in rest:
        try:
            verify_share(ctx, ciphertext, share, verification_shares[share.index])
        except ShareInvalid as exc:
            culprits[share.index] = str(exc)
    return culprits


@dataclass(frozen=True, slots=True)
class ShareClaim:
    """One decryption share as a caller received it, with what it must verify against."""

    ctx: DecryptionContext
    ciphertext: KemCiphertext
    share: DecryptionShare
    verification_share: Point


def failing_claims(claims: Sequence[ShareClaim], rng: RandomSource | None = None) -> dict[int, str]:
    """Position → why, for every claim whose proof fails (empty: all valid), over shares of any
    requests and members. One random linear combination checks them all; only if it fails is
    each checked alone, so every culprit is named exactly as `verify_share` would."""
    statements = [_statement(c.ctx.to_bytes(c.ciphertext), c.ciphertext, c.share, c.verification_share)
                  for c in claims]
    if dleq_batch.verify_batch(DEC_SHARE, statements, rng):
        return {}
    culprits: dict[int, str] = {}
    for position, c in enumerate(claims):
        try:
            verify_share(c.ctx, c.ciphertext, c.share, c.verification_share)
        except ShareInvalid as exc:
            culprits[position] = str(exc)
    return culprits


@dataclass(frozen=True)
class CombineResult:
    """The shared point `Z`, the members whose shares were used, and every culprit with why."""

    shared_point: Point
    used: tuple[int, ...]
    culprits: Mapping[int, str]


def combine(ctx: DecryptionContext, ciphertext: KemCiphertext, shares: Iterable[DecryptionShare],
            verification_shares: Mapping[int, Point], threshold: int,
            rng: RandomSource | None = None) -> CombineResult:
    """Combine the first `t` good shares (lowest index first), naming every bad one examined.

    The same shares are examined and the same culprits named as checking one by one in index
    order until `t` are good: take the next `t - good` candidates, check them as one batch, keep
    the good ones, repeat with the next candidates while some are missing."""
    candidates = _first_per_index(shares)
    good: list[DecryptionShare] = []
    culprits: dict[int, str] = {}
    position = 0
    while len(good) < threshold and position < len(candidates):
        batch = candidates[position:position + threshold - len(good)]
        position += len(batch)
        bad = invalid_shares(ctx, ciphertext, batch, verification_shares, rng)
        culprits.update(bad)
        good += [s for s in batch if s.index not in bad]
    if len(good) < threshold:
        raise NotEnoughShares(f"{len(good)} valid decryption shares, {threshold} needed"
                              + (f"; invalid: {_names(culprits)}" if culprits else ""))
    return CombineResult(_interpolate(good), tuple(s.index for s in good), culprits)


def combine_verified(shares: Iterable[DecryptionShare], threshold: int) -> CombineResult:
    """`combine` for shares whose proofs the caller has just checked under the same context,
    ciphertext and verification shares (`invalid_shares` named none of them): the first `threshold`
    by index, interpolated without checking every proof a second time."""
    chosen = _first_per_index(shares)[:threshold]
    if len(chosen) < threshold:
        raise NotEnoughShares(f"{len(chosen)} valid decryption shares, {threshold} needed")
    return CombineResult(_interpolate(chosen), tuple(s.index for s in chosen), {})


def combine_unverified(shares: Sequence[DecryptionShare]) -> Point:
    """`Σ λ_i·D_i` over exactly these shares, no proof checked (benchmarks; callers that checked)."""
    return _interpolate(list(shares))


def _first_per_index(shares: Iterable[DecryptionShare]) -> list[DecryptionShare]:
    """Sorted by index; of several shares claiming one index, the first given is the one examined."""
    seen: dict[int, DecryptionShare] = {}
    for share in sorted(shares, key=lambda s: s.index):
        seen.setdefault(share.index, share)
    return list(seen.values())


def _interpolate(shares: list[DecryptionShare]) -> Point:
    """Σ λ_i·D_i as L⁻¹·Σ m_i·D_i with the integer weights λ_i = m_i / L (40 bits at t = 43 for
    indices 1..t, against 256 for λ_i mod q; `msm` keeps a negative m_i short), or with λ_i mod q
    when the integers would not be shorter. Public weights only."""
    indices = [s.index for s in shares]
    small = integer_lagrange_at_zero(indices, Q)
    if small is None:
        lam = lagrange_at_zero(indices)
        return msm([lam[i].value for i in indices], [s.d for s in shares])
    numerators, denominator = small
    z = msm(numerators, [s.d for s in shares])
    return z if denominator == 1 else rawec.mul_public(z, pow(denominator, -1, Q))


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
