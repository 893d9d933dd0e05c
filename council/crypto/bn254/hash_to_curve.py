"""Hash to BN254 G1 as drand's evmnet does: RFC 9380 with keccak-256 and the SvdW map.

`expand_message_xmd` (§5.3.1) with H = keccak-256 (b_in_bytes = 32, s_in_bytes = 136, its rate),
`hash_to_field` (§5.2) over F_p with m = 1, L = 48, count = 2, the Shallue–van de Woestijne map
(§6.6.1) with Z = 1, and `Q0 + Q1` (the cofactor of G1 is 1). drand's suite adds the DST
`BLS_SIG_BN254G1_XMD:KECCAK-256_SVDW_RO_NUL_`; `hash_to_g1` takes any DST.
"""

from __future__ import annotations

from typing import Final

from Crypto.Hash import keccak

from council.crypto.bn254.curve import G1, P

DRAND_DST: Final = b"BLS_SIG_BN254G1_XMD:KECCAK-256_SVDW_RO_NUL_"
_B_IN_BYTES: Final = 32
_S_IN_BYTES: Final = 136  # keccak-256's rate: the block size RFC 9380 asks for
_L: Final = 48  # ceil((ceil(log2(p)) + k) / 8) with k = 128

# SvdW constants for y² = x³ + 3 (A = 0, B = 3) with Z = 1 (RFC 9380 §6.6.1, appendix H.1).
_B: Final = 3
_Z: Final = 1


def keccak256(data: bytes) -> bytes:
    """The EVM's keccak-256 (not SHA3-256: the original Keccak padding)."""
    return bytes(keccak.new(digest_bits=256, data=data).digest())


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 §5.3.1 with keccak-256."""
    if len(dst) > 255:
        raise ValueError("DST longer than 255 bytes")
    ell = -(-len_in_bytes // _B_IN_BYTES)
    if ell > 255 or len_in_bytes > 65535:
        raise ValueError("requested output too long")
    dst_prime = dst + bytes([len(dst)])
    b0 = keccak256(bytes(_S_IN_BYTES) + msg + len_in_bytes.to_bytes(2, "big") + b"\x00" + dst_prime)
    b_prev = keccak256(b0 + b"\x01" + dst_prime)
    out = [b_prev]
    for i in range(2, ell + 1):
        mixed = bytes(a ^ b for a, b in zip(b0, b_prev, strict=True))
        b_prev = keccak256(mixed + bytes([i]) + dst_prime)
        out.append(b_prev)
    return b"".join(out)[:len_in_bytes]


def hash_to_field(msg: bytes, dst: bytes, count: int = 2) -> list[int]:
    """RFC 9380 §5.2 for F_p (m = 1, L = 48)."""
    uniform = expand_message_xmd(msg, dst, count * _L)
    return [int.from_bytes(uniform[i * _L : (i + 1) * _L], "big") % P for i in range(count)]


def _g(x: int) -> int:
    return (x * x * x + _B) % P


def _is_square(a: int) -> bool:
    return a == 0 or pow(a, (P - 1) // 2, P) == 1


def _sqrt(a: int) -> int:
    """A square root for p ≡ 3 (mod 4); the caller checked that `a` is a square."""
    return pow(a, (P + 1) // 4, P)


def _sgn0(a: int) -> int:
    return a & 1


def _constants() -> tuple[int, int, int, int]:
    c1 = _g(_Z)
    c2 = (-_Z * pow(2, -1, P)) % P
    c3 = _sqrt((-c1 * 3 * _Z * _Z) % P)
    if _sgn0(c3):  # RFC 9380 fixes the root with sgn0(c3) == 0
        c3 = P - c3
    c4 = (-4 * c1 * pow(3 * _Z * _Z, -1, P)) % P
    return c1, c2, c3, c4


_C1, _C2, _C3, _C4 = _constants()


def map_to_curve_svdw(u: int) -> tuple[int, int]:
    """RFC 9380 §6.6.1 (the straight-line steps of appendix F.1), returning affine (x, y)."""
    if not 0 <= u < P:
        raise ValueError("u must be a field element")
    tv1 = u * u * _C1 % P                     # 1-2
    tv2 = (1 + tv1) % P                       # 3
    tv1 = (1 - tv1) % P                       # 4
    tv3 = tv1 * tv2 % P                       # 5
    tv3 = pow(tv3, P - 2, P)                  # 6: inv0 (0 maps to 0)
    tv4 = u * tv1 % P * tv3 % P * _C3 % P     # 7-9
    x1 = (_C2 - tv4) % P                      # 10
    x2 = (_C2 + tv4) % P                      # 16
    x3 = tv2 * tv2 % P * tv3 % P              # 22-23
    x3 = (x3 * x3 % P * _C4 + _Z) % P         # 24-26
    if _is_square(_g(x1)):                    # 15, 27
        x = x1
    elif _is_square(_g(x2)):                  # 21, 28
        x = x2
    else:
        x = x3
    y = _sqrt(_g(x))                          # 29-33
    if _sgn0(u) != _sgn0(y):                  # 34-35
        y = P - y
    return x, y


def hash_to_g1(msg: bytes, dst: bytes = DRAND_DST) -> G1:
    """RFC 9380 hash_to_curve (random-oracle variant): map two field elements and add them."""
    u0, u1 = hash_to_field(msg, dst, 2)
    return G1.from_xy(*map_to_curve_svdw(u0)) + G1.from_xy(*map_to_curve_svdw(u1))


def svdw_witnesses(u: int) -> tuple[int, int, int]:
    """Square roots that let a verifier follow `map_to_curve_svdw(u)` without computing any:
    for each candidate x tried in order, a root of g(x) if it is a square (the last one tried),
    else a root of -g(x), which proves g(x) is not (p ≡ 3 mod 4, so -1 is not a square); 0 for
    candidates not reached. The contract checks each by one multiplication (docs/chain.md)."""
    if not 0 <= u < P:
        raise ValueError("u must be a field element")
    tv1 = u * u * _C1 % P
    tv2 = (1 + tv1) % P
    tv1 = (1 - tv1) % P
    tv3 = pow(tv1 * tv2 % P, P - 2, P)
    tv4 = u * tv1 % P * tv3 % P * _C3 % P
    x3 = tv2 * tv2 % P * tv3 % P
    candidates = ((_C2 - tv4) % P, (_C2 + tv4) % P, (x3 * x3 % P * _C4 + _Z) % P)
    roots = [0, 0, 0]
    for i, x in enumerate(candidates):
        gx = _g(x)
        if _is_square(gx):
            roots[i] = _sqrt(gx)
            return roots[0], roots[1], roots[2]
        roots[i] = _sqrt(P - gx)
    raise AssertionError("g(x3) is always a square")  # pragma: no cover (RFC 9380 §6.6.1)


def hash_to_g1_hint(msg: bytes, dst: bytes = DRAND_DST) -> tuple[int, ...]:
    """The seven words the on-chain hash to G1 checks instead of computing (CouncilAnchor):
    1 / (d0·d1) for the two field elements' SvdW denominators (0 if either is 0; the contract
    then inverts by itself), then `svdw_witnesses` of u0 and of u1."""
    u0, u1 = hash_to_field(msg, dst, 2)
    d = [(1 - u * u * _C1) * (1 + u * u * _C1) % P for u in (u0, u1)]
    inverse = pow(d[0] * d[1] % P, P - 2, P) if d[0] and d[1] else 0
    return (inverse, *svdw_witnesses(u0), *svdw_witnesses(u1))
