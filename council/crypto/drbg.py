"""A deterministic random source for test vectors and replayable tests; never for real keys."""

from __future__ import annotations

import hashlib

from council.crypto.group import RandomSource


def seeded(seed: bytes) -> RandomSource:
    """SHAKE-256 in counter mode: the same seed gives the same byte stream."""
    counter = 0

    def draw(n: int) -> bytes:
        nonlocal counter
        counter += 1
        return hashlib.shake_256(b"KEYCOUNCIL-TEST-DRBG" + seed + counter.to_bytes(8, "big")).digest(n)

    return draw
