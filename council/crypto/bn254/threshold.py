"""Threshold BLS signing with the council's BN254 key: partial signatures, their proofs, combining.

Member `i` signs `σ_i = x_i·H(m)` and proves `log_g1(Y_i) == log_H(m)(σ_i)` with a DLEQ proof bound
to the caller's context (key id, epoch): a few G1 multiplications to check, against two pairings.
`combine` interpolates `t` partials and checks the result with one pairing equation; only if that
fails does it check the partials one by one, drop and name the bad ones, and try again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from council.crypto.bn254.bls import verify_point
from council.crypto.bn254.curve import G1, G1_LEN, G2, Fr, R, multi_scalar_mul
from council.crypto.bn254.hash_to_curve import DRAND_DST, hash_to_g1
from council.crypto.bn254.proofs import PROOF_LEN, Proof, dleq_prove, dleq_verify
from council.crypto.group import RandomSource
from council.errors import DecodeError, NotEnoughShares, ProofError, ShareInvalid

PARTIAL_SIG: Final = "PARTIAL-SIG"
PARTIAL_LEN: Final = 2 + G1_LEN + PROOF_LEN


def lagrange_at_zero(indices: Iterable[int]) -> dict[int, Fr]:
    """λ_i = Π_{j∈S, j≠i} j / (j − i) mod r for distinct positive indices."""
    given = list(indices)
    s = sorted(set(given))
    if len(s) != len(given) or not s or s[0] <= 0 or s[-1] >= R:
        raise ValueError("indices must be distinct and in 1..r-1")
    coeffs: dict[int, Fr] = {}
    for i in s:
        num, den = 1, 1
        for j in s:
            if j != i:
                num, den = num * j % R, den * (j - i) % R
        coeffs[i] = Fr(num * pow(den, -1, R) % R)
    return coeffs


@dataclass(frozen=True, slots=True)
class PartialSignature:
    """`σ_i = x_i·H(m)` of member `index`, with its DLEQ proof against `Y_i`."""

    index: int
    sigma: G1
    proof: Proof

    def to_bytes(self) -> bytes:
        return self.index.to_bytes(2, "big") + self.sigma.to_bytes() + self.proof.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "partial signature") -> PartialSignature:
        if len(data) != PARTIAL_LEN:
            raise DecodeError(f"{field}: expected {PARTIAL_LEN} bytes, got {len(data)}")
        index = int.from_bytes(data[:2], "big")
        if index == 0:
            raise DecodeError(f"{field}: member index 0 is reserved for the secret")
        sigma = G1.from_bytes(data[2 : 2 + G1_LEN], f"{field}.sigma")
        return cls(index, sigma, Proof.from_bytes(data[2 + G1_LEN :], f"{field}.proof"))


def sign_partial(ctx: bytes, message: bytes, index: int, share: Fr, rng: RandomSource | None = None,
                 dst: bytes = DRAND_DST) -> PartialSignature:
    """Member `index`'s partial signature of `message` under context `ctx`."""
    sigma, proof = dleq_prove(PARTIAL_SIG, ctx, share, hash_to_g1(message, dst), rng)
    return PartialSignature(index, sigma, proof)


def verify_partial(ctx: bytes, hashed: G1, partial: PartialSignature, verification_share: G1) -> None:
    """Raise ShareInvalid unless the partial's proof holds against `Y_i` (hashed = H(m))."""
    try:
        dleq_verify(PARTIAL_SIG, ctx, verification_share, hashed, partial.sigma, partial.proof,
                    what=f"partial signature of member {partial.index}")
    except ProofError as exc:
        raise ShareInvalid(str(exc)) from None


def interpolate(partials: Iterable[PartialSignature]) -> G1:
    """`σ = Σ λ_i·σ_i` over the given partials (Lagrange weights are public)."""
    chosen = list(partials)
    lam = lagrange_at_zero(p.index for p in chosen)
    return multi_scalar_mul([lam[p.index] for p in chosen], [p.sigma for p in chosen])


@dataclass(frozen=True)
class CombineResult:
    """The signature, the members whose partials made it, and every culprit with why."""

    signature: G1
    used: tuple[int, ...]
    culprits: Mapping[int, str]


def combine(ctx: bytes, message: bytes, partials: Iterable[PartialSignature],
            verification_shares: Mapping[int, G1], threshold: int, public_key: G2,
            dst: bytes = DRAND_DST) -> CombineResult:
    """(1) Interpolate the `t` lowest-index partials and verify the result (one pairing check);
    (2) only if it fails, check every partial's proof, name the bad ones, combine `t` good ones."""
    hashed = hash_to_g1(message, dst)
    candidates: dict[int, PartialSignature] = {}
    culprits: dict[int, str] = {}
    for p in sorted(partials, key=lambda p: p.index):
        if p.index not in verification_shares:
            culprits[p.index] = f"member {p.index} holds no share of this key"
        else:
            candidates.setdefault(p.index, p)
    first = list(candidates.values())[:threshold]
    if len(first) == threshold:
        signature = interpolate(first)
        if verify_point(public_key, hashed, signature):
            return CombineResult(signature, tuple(p.index for p in first), culprits)
    good = []
    for p in candidates.values():
        try:
            verify_partial(ctx, hashed, p, verification_shares[p.index])
            good.append(p)
        except ShareInvalid as exc:
            culprits[p.index] = str(exc)
    if len(good) < threshold:
        raise NotEnoughShares(f"{len(good)} valid partial signatures, {threshold} needed"
                              + (f"; invalid: {_names(culprits)}" if culprits else ""))
    chosen = good[:threshold]
    signature = interpolate(chosen)
    if not verify_point(public_key, hashed, signature):
        raise ShareInvalid("valid partial signatures combine to an invalid signature: "
                           "the verification shares do not match the public key")
    return CombineResult(signature, tuple(p.index for p in chosen), culprits)


def _names(culprits: Mapping[int, str]) -> str:
    return ", ".join(f"member {i} ({why})" for i, why in sorted(culprits.items()))
