"""Test-side BN254 BLS with py_ecc: an independent hash to G1 (RFC 9380 SvdW, drand evmnet's
ciphersuite), keys, Shamir shares, partial signatures and their Lagrange combination.

Written from RFC 9380 for the tests; the product code's BLS lives in council/crypto/bn254.
"""

from __future__ import annotations

import secrets

from eth_utils import keccak
from py_ecc.optimized_bn128 import FQ, FQ2, G2, add, curve_order, multiply, normalize

P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
DST = b"BLS_SIG_BN254G1_XMD:KECCAK-256_SVDW_RO_NUL_"
KECCAK_BLOCK = 136  # keccak-256 rate in bytes: expand_message_xmd's s_in_bytes


def expand_message_xmd(msg: bytes, dst: bytes, n: int) -> bytes:
    """RFC 9380 section 5.3.1 with keccak-256."""
    ell = (n + 31) // 32
    dst_prime = dst + bytes([len(dst)])
    b0 = keccak(b"\0" * KECCAK_BLOCK + msg + n.to_bytes(2, "big") + b"\0" + dst_prime)
    blocks = [keccak(b0 + b"\x01" + dst_prime)]
    for i in range(2, ell + 1):
        blocks.append(keccak(bytes(a ^ b for a, b in zip(b0, blocks[-1], strict=True)) + bytes([i]) + dst_prime))
    return b"".join(blocks)[:n]


def _sqrt(x: int) -> int | None:
    r = pow(x, (P + 1) // 4, P)
    return r if r * r % P == x % P else None


def _g(x: int) -> int:
    return (x * x * x + 3) % P


_C1 = _g(1)
_C2 = (-pow(2, P - 2, P)) % P
_C3 = _sqrt((-_g(1) * 3) % P) or 0
_C3 = _C3 if _C3 % 2 == 0 else P - _C3
_C4 = (-4 * _g(1) * pow(3, P - 2, P)) % P


def map_to_curve_svdw(u: int) -> tuple[int, int]:
    """RFC 9380 section 6.6.1 with A = 0, B = 3, Z = 1."""
    tv1 = u * u * _C1 % P
    tv2, tv1 = (1 + tv1) % P, (1 - tv1) % P
    tv3 = pow(tv1 * tv2 % P, P - 2, P)
    tv4 = u * tv1 * tv3 * _C3 % P
    x3 = (pow(tv2 * tv2 * tv3 % P, 2, P) * _C4 + 1) % P
    for x in ((_C2 - tv4) % P, (_C2 + tv4) % P, x3):
        y = _sqrt(_g(x))
        if y is not None:
            return x, (y if y % 2 == u % 2 else P - y)
    raise AssertionError("g(x3) is always a square")


def hash_to_point(msg: bytes) -> tuple[FQ, FQ, FQ]:
    """H(msg) in G1 (projective, for py_ecc)."""
    uniform = expand_message_xmd(msg, DST, 96)
    u0, u1 = (int.from_bytes(uniform[i:i + 48], "big") % P for i in (0, 48))
    q0, q1 = map_to_curve_svdw(u0), map_to_curve_svdw(u1)
    return add((FQ(q0[0]), FQ(q0[1]), FQ(1)), (FQ(q1[0]), FQ(q1[1]), FQ(1)))


def g1_bytes(point: tuple[FQ, FQ, FQ]) -> bytes:
    x, y = normalize(point)
    return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")


def g2_bytes(point: tuple[FQ2, FQ2, FQ2]) -> bytes:
    """EIP-197 order: x imaginary, x real, y imaginary, y real."""
    x, y = normalize(point)
    return b"".join(int(c).to_bytes(32, "big") for c in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))


def keygen() -> tuple[int, bytes]:
    sk = 1 + secrets.randbelow(curve_order - 1)
    return sk, g2_bytes(multiply(G2, sk))


def sign(sk: int, msg: bytes) -> bytes:
    return g1_bytes(multiply(hash_to_point(msg), sk))


def shares(sk: int, t: int, n: int) -> dict[int, int]:
    """Shamir shares f(1..n) of sk with a random polynomial of degree t - 1."""
    coeffs = [sk] + [secrets.randbelow(curve_order) for _ in range(t - 1)]
    return {i: sum(c * pow(i, k, curve_order) for k, c in enumerate(coeffs)) % curve_order for i in range(1, n + 1)}


def combine(partials: dict[int, tuple[FQ, FQ, FQ]]) -> bytes:
    """Lagrange at 0 of partial signatures sigma_i = s_i * H(m)."""
    acc = None
    ids = list(partials)
    for i in ids:
        lam = 1
        for j in ids:
            if j != i:
                lam = lam * j * pow(j - i, curve_order - 2, curve_order) % curve_order
        term = multiply(partials[i], lam)
        acc = term if acc is None else add(acc, term)
    assert acc is not None
    return g1_bytes(acc)


def threshold_sign(share_map: dict[int, int], signers: list[int], msg: bytes) -> bytes:
    h = hash_to_point(msg)
    return combine({i: multiply(h, share_map[i]) for i in signers})
