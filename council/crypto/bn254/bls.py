"""BLS signatures on BN254 in drand evmnet's scheme `bls-bn254-unchained-on-g1`.

Signature `σ = x·H(m)` in G1, public key `X = x·g2` in G2, `H` = `hash_to_g1` with the evmnet DST.
Verification is the one pairing equation the EVM precompile checks: `e(σ, −g2)·e(H(m), X) == 1`.
drand signs round `r` as `m = keccak256(uint64_be(r))`.
"""

from __future__ import annotations

from council.crypto.bn254.curve import G1, G2, Fr, pairing_check
from council.crypto.bn254.hash_to_curve import DRAND_DST, hash_to_g1, keccak256


def public_key(secret: Fr) -> G2:
    return G2.base_mul(secret)


def sign(secret: Fr, message: bytes, dst: bytes = DRAND_DST) -> G1:
    """`x·H(m)` by the 4-bit fixed window; not constant-time (docs/protocol.md)."""
    return hash_to_g1(message, dst) * secret


def verify_point(key: G2, hashed: G1, signature: G1) -> bool:
    """`e(σ, −g2)·e(H, X) == 1` for an already hashed message."""
    if key.is_identity() or signature.is_identity():
        return False
    return pairing_check([(signature, -G2.generator()), (hashed, key)])


def verify(key: G2, message: bytes, signature: G1, dst: bytes = DRAND_DST) -> bool:
    return verify_point(key, hash_to_g1(message, dst), signature)


def drand_round_message(round_number: int) -> bytes:
    """What drand's unchained BN254 scheme signs for a round: keccak256 of its 8-byte number."""
    if not 0 <= round_number < 1 << 64:
        raise ValueError("a drand round is an unsigned 64-bit integer")
    return keccak256(round_number.to_bytes(8, "big"))
