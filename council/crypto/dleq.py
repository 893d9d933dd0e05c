"""DLEQ (Chaum–Pedersen) proof that log_G(X) == log_H(W), bound to a context.

`U1 = k·G`, `U2 = k·H`, `c = H(purpose; ctx, G, X, H, W, U1, U2)`, `z = k + c·x`. Used for
decryption shares (X = Y_i, H = R, W = D_i) and verifiable complaints (X = P_j, H = E, W = K).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from council.crypto.group import P256, POINT_LEN, SCALAR_LEN, G, Point, RandomSource, Scalar
from council.crypto.hashing import hash_to_scalar, hash_to_scalars
from council.errors import DecodeError, ProofError

DLEQ_LEN = 2 * SCALAR_LEN


@dataclass(frozen=True, slots=True)
class DleqProof:
    """A non-interactive proof of equality of two discrete logarithms."""

    c: Scalar
    z: Scalar

    def to_bytes(self) -> bytes:
        return self.c.to_bytes() + self.z.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "dleq proof") -> DleqProof:
        if len(data) != DLEQ_LEN:
            raise DecodeError(f"{field}: expected {DLEQ_LEN} bytes, got {len(data)}")
        return cls(Scalar.from_bytes(data[:32], f"{field}.c"), Scalar.from_bytes(data[32:], f"{field}.z"))


def _challenge(purpose: str, ctx: bytes, x: Point, h: Point, w: Point, u1: Point, u2: Point) -> Scalar:
    parts = (G, x, h, w, u1, u2)
    return hash_to_scalar(purpose, ctx, *(p.to_bytes() for p in parts))


def challenges(purpose: str, claims: Sequence[tuple[bytes, Point, Point, Point, Point, Point]]) -> list[int]:
    """`_challenge(purpose, *claim).value` for every (ctx, x, h, w, u1, u2), each run of one context
    hashing its prefix (ctx, G) once (a batch check: the same challenges, computed faster)."""
    out: list[int] = []
    g, length = G.to_bytes(), POINT_LEN.to_bytes(4, "big")  # encode_parts of five points
    for ctx, run in groupby(claims, key=itemgetter(0)):
        tails = [length + length.join([x.to_bytes(), h.to_bytes(), w.to_bytes(), u1.to_bytes(), u2.to_bytes()])
                 for _, x, h, w, u1, u2 in run]
        out += hash_to_scalars(purpose, (ctx, g), tails)
    return out


def prove(purpose: str, ctx: bytes, secret: Scalar, h: Point,
          rng: RandomSource | None = None) -> tuple[Point, DleqProof]:
    """Return `W = secret·H` and a proof that log_H(W) == log_G(secret·G)."""
    x, w = P256.base_mul(secret), h * secret
    k = Scalar.random(rng)
    c = _challenge(purpose, ctx, x, h, w, P256.base_mul(k), h * k)
    return w, DleqProof(c, k + c * secret)


def verify(purpose: str, ctx: bytes, x: Point, h: Point, w: Point, proof: DleqProof,
           what: str = "proof") -> None:
    """Raise ProofError unless log_G(x) == log_h(w) is proven under `ctx`."""
    u1 = P256.base_mul(proof.z) - x.mul_public(proof.c)  # c and z are public
    u2 = h.mul_public(proof.z) - w.mul_public(proof.c)
    if u1.is_identity() or u2.is_identity() or _challenge(purpose, ctx, x, h, w, u1, u2) != proof.c:
        raise ProofError(f"{what}: DLEQ proof does not verify")
