"""DLEQ proofs in commitment form `(U1, U2, z)`, checkable one by one or many at once.

The same Chaum–Pedersen proof as `dleq.py` (`U1 = k·G`, `U2 = k·H`,
`c = H(purpose; ctx, G, X, H, W, U1, U2)`, `z = k + c·x`), but it carries the commitments instead
of the challenge. A verifier recomputes `c` from the hash and checks `z·G = U1 + c·X` and
`z·H = U2 + c·W`; because both checks are linear, many proofs can be checked with one random
linear combination and one multi-scalar multiplication (docs/protocol.md, "Batch verification").
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from council.crypto import dleq
from council.crypto.dleq import _challenge
from council.crypto.group import P256, POINT_LEN, SCALAR_LEN, Point, Q, RandomSource, Scalar
from council.crypto.msm import msm
from council.errors import DecodeError, ProofError

COMMITTED_DLEQ_LEN: Final = 2 * POINT_LEN + SCALAR_LEN
WEIGHT_BYTES: Final = 16  # batch weights are uniform in [1, 2^128)


@dataclass(frozen=True, slots=True)
class CommittedDleqProof:
    """`U1 ‖ U2 ‖ z` (33 + 33 + 32 bytes): commitments and response of a DLEQ proof."""

    u1: Point
    u2: Point
    z: Scalar

    def to_bytes(self) -> bytes:
        return self.u1.to_bytes() + self.u2.to_bytes() + self.z.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "dleq proof") -> CommittedDleqProof:
        """Decode and validate: both commitments on the curve and not infinity, z < q."""
        if len(data) != COMMITTED_DLEQ_LEN:
            raise DecodeError(f"{field}: expected {COMMITTED_DLEQ_LEN} bytes, got {len(data)}")
        return cls(Point.from_bytes(data[:POINT_LEN], f"{field}.U1"),
                   Point.from_bytes(data[POINT_LEN:2 * POINT_LEN], f"{field}.U2"),
                   Scalar.from_bytes(data[2 * POINT_LEN:], f"{field}.z"))


@dataclass(frozen=True, slots=True)
class DleqStatement:
    """The claim log_G(x) == log_h(w) under `ctx`, with its proof."""

    ctx: bytes
    x: Point
    h: Point
    w: Point
    proof: CommittedDleqProof


def prove(purpose: str, ctx: bytes, secret: Scalar, h: Point, rng: RandomSource | None = None,
          x: Point | None = None, w: Point | None = None) -> tuple[Point, CommittedDleqProof]:
    """Return `W = secret·H` and a proof that log_H(W) == log_G(secret·G); `x` is `secret·G` and
    `w` is `secret·H` when the caller holds them already (a wrong one only makes a proof that does
    not verify)."""
    x = x if x is not None else P256.base_mul(secret)
    w = w if w is not None else h * secret
    k = Scalar.random(rng)
    u1, u2 = P256.base_mul(k), h * k
    c = _challenge(purpose, ctx, x, h, w, u1, u2)
    return w, CommittedDleqProof(u1, u2, k + c * secret)


def challenge(purpose: str, st: DleqStatement) -> Scalar:
    """The Fiat–Shamir challenge the verifier recomputes (never taken from the prover)."""
    return _challenge(purpose, st.ctx, st.x, st.h, st.w, st.proof.u1, st.proof.u2)


def challenges(purpose: str, statements: Sequence[DleqStatement]) -> list[int]:
    """`challenge(purpose, st).value` of every statement, each context's prefix hashed once."""
    return dleq.challenges(purpose, [(st.ctx, st.x, st.h, st.w, st.proof.u1, st.proof.u2) for st in statements])


def verify(purpose: str, st: DleqStatement, what: str = "proof") -> None:
    """Raise ProofError unless `z·G == U1 + c·X` and `z·H == U2 + c·W`."""
    c, z = challenge(purpose, st), st.proof.z
    if (P256.base_mul(z) != st.proof.u1 + st.x.mul_public(c)  # c and z are public
            or st.h.mul_public(z) != st.proof.u2 + st.w.mul_public(c)):
        raise ProofError(f"{what}: DLEQ proof does not verify")


def verify_batch(purpose: str, statements: Sequence[DleqStatement],
                 rng: RandomSource | None = None) -> bool:
    """True when every proof verifies, except with probability ≤ 2^-128 per call: checks
    Σ a_i·(z_i·G − U1_i − c_i·X_i) + b_i·(z_i·H_i − U2_i − c_i·W_i) == 0 for fresh random
    128-bit weights a_i, b_i drawn after the proofs are fixed. False names nobody: the caller
    then checks one by one. Terms on the same `H` or the same `X` are summed into one (the same
    group element: one member's shares of one dump repeat both), so the multiplication has one
    full-length term per proof (`b_i·c_i·W_i`) besides its two 128-bit ones."""
    draw = rng or secrets.token_bytes
    scalars: list[int] = []
    points: list[Point] = []
    g_coefficient = 0
    h_coefficients: dict[bytes, tuple[Point, int]] = {}
    x_coefficients: dict[bytes, tuple[Point, int]] = {}
    for st, c in zip(statements, challenges(purpose, statements), strict=True):
        z = st.proof.z.value
        a, b = _weight(draw), _weight(draw)
        scalars += [a, b, b * c % Q]
        points += [st.proof.u1, st.proof.u2, st.w]
        g_coefficient += a * z
        _add_term(h_coefficients, st.h, -b * z)
        _add_term(x_coefficients, st.x, a * c)
    scalars.append(-g_coefficient % Q)
    points.append(P256.generator)
    for point, coefficient in (*h_coefficients.values(), *x_coefficients.values()):
        scalars.append(coefficient % Q)
        points.append(point)
    return msm(scalars, points).is_identity()


def _add_term(terms: dict[bytes, tuple[Point, int]], point: Point, coefficient: int) -> None:
    """Add `coefficient·point` to the term of that point (keyed by its encoding)."""
    key = point.to_bytes()
    _, total = terms.get(key, (point, 0))
    terms[key] = (point, total + coefficient)


def _weight(draw: RandomSource) -> int:
    while True:
        w = int.from_bytes(draw(WEIGHT_BYTES), "big")
        if w:
            return w
