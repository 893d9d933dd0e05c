"""Version 2 of the dump trailer: one BLAKE3 pass over the chunk area, no plaintext digest.

Implements docs/dump-format.md, "Version 2". Everything before the trailer is laid out as in
version 1 (with version byte 0x02); the trailer is

    TRAILER_MARKER_V2 ‖ header_sha256 ‖ chunks_blake3 ‖ plaintext_length (uint64 BE) ‖ trailer_sig
          7                 32              32                8                           64  = 143

Pure: no I/O. Parsed values are untrusted until the signature is checked.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import ClassVar, Final

import blake3

from dumps.errors import DumpTruncated, TrailerInvalid
from dumps.format import (
    DIGEST_DOMAIN,
    DIGEST_LEN,
    FORMAT_V2,
    SIGNATURE_LEN,
    TRAILER_DOMAIN,
    prefix_for,
)

PREFIX_V2: Final = prefix_for(FORMAT_V2)
TRAILER_MARKER_V2: Final = b"KCDEND" + bytes([FORMAT_V2])
TRAILER_BODY_LEN_V2: Final = 2 * DIGEST_LEN + 8
TRAILER_LEN_V2: Final = len(TRAILER_MARKER_V2) + TRAILER_BODY_LEN_V2 + SIGNATURE_LEN


HASH_THREADS: Final = min(2, os.cpu_count() or 1)


def chunk_hasher(threads: int = HASH_THREADS) -> blake3.blake3:
    """A fresh BLAKE3 (default 32-byte output, unkeyed) for the chunk area, each update split
    over up to `threads` cores by the library itself (same digest whatever the split). Keyless
    verification uses both cores; sealing and opening hash on one core beside AES-GCM."""
    return blake3.blake3(max_threads=threads)


@dataclass(frozen=True, slots=True)
class TrailerV2:
    """The signed summary at the end of a version 2 dump (not yet verified when parsed)."""

    header_sha256: bytes
    chunks_blake3: bytes
    plaintext_length: int
    signature: bytes
    version: ClassVar[int] = FORMAT_V2
    hash_name: ClassVar[str] = "BLAKE3"

    def __post_init__(self) -> None:
        if len(self.header_sha256) != DIGEST_LEN or len(self.chunks_blake3) != DIGEST_LEN:
            raise ValueError(f"header_sha256 and chunks_blake3 must be {DIGEST_LEN} bytes")
        if len(self.signature) != SIGNATURE_LEN or not 0 <= self.plaintext_length < 2**64:
            raise ValueError("bad signature length or plaintext length")

    @property
    def chunks_digest(self) -> bytes:
        """The signed digest of the chunk area (BLAKE3 in version 2)."""
        return self.chunks_blake3

    def body(self) -> bytes:
        """header_sha256 ‖ chunks_blake3 ‖ plaintext_length (uint64 BE): 72 bytes."""
        return trailer_body_v2(self.header_sha256, self.chunks_blake3, self.plaintext_length)

    def signed_message(self) -> bytes:
        """What the trailer signature covers: TRAILER_DOMAIN ‖ prefix (version 2) ‖ body."""
        return TRAILER_DOMAIN + PREFIX_V2 + self.body()

    def dump_digest(self) -> bytes:
        """The dump's digest (chain link): SHA-256(DIGEST_DOMAIN ‖ prefix (version 2) ‖ body)."""
        return hashlib.sha256(DIGEST_DOMAIN + PREFIX_V2 + self.body()).digest()

    def to_bytes(self) -> bytes:
        return TRAILER_MARKER_V2 + self.body() + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> TrailerV2:
        """Parse exactly TRAILER_LEN_V2 bytes; the signature is not checked here."""
        if len(data) != TRAILER_LEN_V2:
            raise DumpTruncated(f"trailer: expected {TRAILER_LEN_V2} bytes, got {len(data)}")
        if data[: len(TRAILER_MARKER_V2)] != TRAILER_MARKER_V2:
            raise TrailerInvalid("trailer: marker is not 'KCDEND' followed by version 2 (damaged)")
        body = data[len(TRAILER_MARKER_V2):len(TRAILER_MARKER_V2) + TRAILER_BODY_LEN_V2]
        return cls(header_sha256=bytes(body[0:32]), chunks_blake3=bytes(body[32:64]),
                   plaintext_length=int.from_bytes(body[64:72], "big"),
                   signature=bytes(data[TRAILER_LEN_V2 - SIGNATURE_LEN:]))


def trailer_body_v2(header_sha256: bytes, chunks_blake3: bytes, plaintext_length: int) -> bytes:
    """The 72-byte version 2 trailer body, in the order signed."""
    return header_sha256 + chunks_blake3 + plaintext_length.to_bytes(8, "big")
