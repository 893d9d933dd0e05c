"""Hashing to scalars: RFC 9380 `hash_to_field` for the P-256 scalar field.

`expand_message_xmd` with SHA-256 and L = 48 (RFC 9380 §5.2, §5.3.1), one domain-separation tag per
purpose (`KEYCOUNCIL-V1-P256-<PURPOSE>`). Inputs are tuples of byte strings, each length-prefixed,
so no two different tuples hash alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Final

from council.crypto.group import Q, Scalar

DST_PREFIX: Final = b"KEYCOUNCIL-V1-P256-"
_L: Final = 48  # ceil((ceil(log2(q)) + k) / 8) with k = 128
_B_IN_BYTES: Final = 32
_S_IN_BYTES: Final = 64
_Z_PAD_STATE: Final = hashlib.sha256(bytes(_S_IN_BYTES))  # copied, never updated itself


@lru_cache(maxsize=64)
def dst_for(purpose: str) -> bytes:
    """The domain-separation tag of one purpose, e.g. `dst_for("DLEQ")` (kept per purpose)."""
    if not purpose or not purpose.replace("-", "").isalnum() or not purpose.isupper():
        raise ValueError("purpose must be upper-case letters, digits and dashes")
    return DST_PREFIX + purpose.encode()


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 §5.3.1 with SHA-256 (Z_pad hashed once for all calls; b0 ⊕ b_i as integers)."""
    if len(dst) > 255:
        raise ValueError("DST longer than 255 bytes")
    ell = -(-len_in_bytes // _B_IN_BYTES)
    if ell > 255 or len_in_bytes > 65535:
        raise ValueError("requested output too long")
    dst_prime = dst + bytes([len(dst)])
    h = _Z_PAD_STATE.copy()
    h.update(msg)
    h.update(len_in_bytes.to_bytes(2, "big") + b"\x00" + dst_prime)
    b0 = h.digest()
    b_prev = hashlib.sha256(b0 + b"\x01" + dst_prime).digest()
    out = [b_prev]
    b0_int = int.from_bytes(b0, "big")
    for i in range(2, ell + 1):
        mixed = (b0_int ^ int.from_bytes(b_prev, "big")).to_bytes(_B_IN_BYTES, "big")
        b_prev = hashlib.sha256(mixed + bytes([i]) + dst_prime).digest()
        out.append(b_prev)
    return b"".join(out)[:len_in_bytes]


def hash_to_field(msg: bytes, dst: bytes, count: int = 1) -> list[int]:
    """RFC 9380 §5.2 for F_q with m = 1, L = 48."""
    uniform = expand_message_xmd(msg, dst, count * _L)
    if count == 1:  # every proof challenge
        return [int.from_bytes(uniform, "big") % Q]
    return [int.from_bytes(uniform[i * _L : (i + 1) * _L], "big") % Q for i in range(count)]


def encode_parts(*parts: bytes) -> bytes:
    """Length-prefix each part (4-byte big-endian) so tuples encode injectively."""
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def hash_to_scalar(purpose: str, *parts: bytes) -> Scalar:
    """H_purpose(parts) as a scalar: the challenge function of every proof here."""
    return Scalar(hash_to_field(encode_parts(*parts), dst_for(purpose))[0])


def hash_to_scalars(purpose: str, prefix: Sequence[bytes], tails: Iterable[bytes]) -> list[int]:
    """`[hash_to_scalar(purpose, *prefix, *parts).value ...]` for the tails `encode_parts(*parts)`,
    with the SHA-256 state of Z_pad and the common prefix's encoding computed once (a batch of
    proof challenges that share their context): the same RFC 9380 computation, byte for byte."""
    dst = dst_for(purpose)
    dst_prime = dst + bytes([len(dst)])
    base = _Z_PAD_STATE.copy()
    base.update(encode_parts(*prefix))
    suffix, one, two = _L.to_bytes(2, "big") + b"\x00" + dst_prime, b"\x01" + dst_prime, b"\x02" + dst_prime
    sha256, out = hashlib.sha256, []
    for tail in tails:
        h = base.copy()
        h.update(tail + suffix)
        b0 = h.digest()
        b1 = sha256(b0 + one).digest()
        mixed = (int.from_bytes(b0, "big") ^ int.from_bytes(b1, "big")).to_bytes(_B_IN_BYTES, "big")
        out.append(int.from_bytes(b1 + sha256(mixed + two).digest()[:_L - _B_IN_BYTES], "big") % Q)
    return out
