"""Sigma proofs in BN254's G1, bound to a context: Schnorr (knowledge of a constant term) and
Chaum–Pedersen DLEQ (a partial signature against the signer's verification share).

Challenges hash with RFC 9380 `hash_to_field` (expand_message_xmd with SHA-256, L = 48) into F_r,
DST `KEYCOUNCIL-V1-BN254-<PURPOSE>`, inputs length-prefixed as in council/crypto/hashing.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from council.crypto.bn254.curve import G1, SCALAR_LEN, Fr, R, double_mul
from council.crypto.group import RandomSource
from council.crypto.hashing import encode_parts, expand_message_xmd
from council.errors import DecodeError, ProofError

DST_PREFIX: Final = b"KEYCOUNCIL-V1-BN254-"
PROOF_LEN: Final = 2 * SCALAR_LEN
_L: Final = 48


def dst_for(purpose: str) -> bytes:
    """The domain-separation tag of one purpose, e.g. `dst_for("PARTIAL-SIG")`."""
    if not purpose or not purpose.replace("-", "").isalnum() or not purpose.isupper():
        raise ValueError("purpose must be upper-case letters, digits and dashes")
    return DST_PREFIX + purpose.encode()


def hash_to_fr(purpose: str, *parts: bytes) -> Fr:
    """H_purpose(parts) in F_r: the challenge function of the proofs here."""
    uniform = expand_message_xmd(encode_parts(*parts), dst_for(purpose), _L)
    return Fr(int.from_bytes(uniform, "big") % R)


@dataclass(frozen=True, slots=True)
class Proof:
    """A (challenge, response) pair: `c`, `z = k + c·x`."""

    c: Fr
    z: Fr

    def to_bytes(self) -> bytes:
        return self.c.to_bytes() + self.z.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "proof") -> Proof:
        if len(data) != PROOF_LEN:
            raise DecodeError(f"{field}: expected {PROOF_LEN} bytes, got {len(data)}")
        return cls(Fr.from_bytes(data[:SCALAR_LEN], f"{field}.c"), Fr.from_bytes(data[SCALAR_LEN:], f"{field}.z"))


def schnorr_prove(purpose: str, ctx: bytes, secret: Fr, public: G1, rng: RandomSource | None = None) -> Proof:
    """Prove knowledge of `secret` with `public = secret·g1`: `U = k·g1`, `c = H(ctx, A, U)`."""
    k = Fr.random(rng)
    c = hash_to_fr(purpose, ctx, public.to_bytes(), G1.base_mul(k).to_bytes())
    return Proof(c, k + c * secret)


def schnorr_verify(purpose: str, ctx: bytes, public: G1, proof: Proof, what: str = "proof") -> None:
    """Raise ProofError unless `proof` shows knowledge of log_g1(public): `U = z·g1 − c·A`."""
    u = double_mul(proof.z, G1.generator(), -proof.c, public)
    if u.is_identity() or hash_to_fr(purpose, ctx, public.to_bytes(), u.to_bytes()) != proof.c:
        raise ProofError(f"{what}: Schnorr proof of knowledge does not verify")


def _dleq_challenge(purpose: str, ctx: bytes, x: G1, h: G1, w: G1, u1: G1, u2: G1) -> Fr:
    return hash_to_fr(purpose, ctx, *(p.to_bytes() for p in (G1.generator(), x, h, w, u1, u2)))


def dleq_prove(purpose: str, ctx: bytes, secret: Fr, h: G1, rng: RandomSource | None = None) -> tuple[G1, Proof]:
    """`W = secret·H` and a proof that log_H(W) == log_g1(secret·g1)."""
    x, w = G1.base_mul(secret), h * secret
    k = Fr.random(rng)
    c = _dleq_challenge(purpose, ctx, x, h, w, G1.base_mul(k), h * k)
    return w, Proof(c, k + c * secret)


def dleq_verify(purpose: str, ctx: bytes, x: G1, h: G1, w: G1, proof: Proof, what: str = "proof") -> None:
    """Raise ProofError unless log_g1(x) == log_h(w) is proven under `ctx`:
    `U1 = z·g1 − c·X`, `U2 = z·H − c·W` (two joint double-multiplications)."""
    neg_c = -proof.c
    u1 = double_mul(proof.z, G1.generator(), neg_c, x)
    u2 = double_mul(proof.z, h, neg_c, w)
    if u1.is_identity() or u2.is_identity() or _dleq_challenge(purpose, ctx, x, h, w, u1, u2) != proof.c:
        raise ProofError(f"{what}: DLEQ proof does not verify")
