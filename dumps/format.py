"""Byte layout of a dump file: prefix, header framing, trailer, signed messages, digest.

Implements docs/dump-format.md, "File layout", "Trailer", "Signatures" and "Dump digest" for
version 1 (the v1 names here: PREFIX, TRAILER_LEN, Trailer, ...); version 2's trailer is in
`dumps.format_v2`, and `dumps.trailers` dispatches on the version byte.
Pure: no I/O. Everything parsed here is still untrusted until the signatures are checked.

    prefix        "KCDUMP" ‖ version byte (0x01 or 0x02)                     7 bytes
    header_length uint32 big-endian, 1 .. MAX_HEADER_LEN                     4 bytes
    header        canonical protobuf DumpHeader                   header_length bytes
    header_sig    Ed25519 signature over HEADER_DOMAIN ‖ prefix ‖ header    64 bytes
    chunks        AES-256-GCM STREAM chunks (dumps/stream.py)
    trailer       TRAILER_MARKER ‖ header_sha256 ‖ chunks_sha256 ‖
                  plaintext_length (uint64 BE) ‖ plaintext_sha256 ‖ trailer_sig   175 bytes
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import ClassVar, Final

from dumps.errors import DumpTruncated, NotADump, TrailerInvalid, UnsupportedVersion

MAGIC: Final = b"KCDUMP"
FORMAT_VERSION: Final = 1  # version 1: the names below without a version are v1's
FORMAT_V1: Final = 1
FORMAT_V2: Final = 2
SUPPORTED_VERSIONS: Final = (FORMAT_V1, FORMAT_V2)
DEFAULT_FORMAT_VERSION: Final = FORMAT_V2
PREFIX: Final = MAGIC + bytes([FORMAT_VERSION])
PREFIX_LEN: Final = len(PREFIX)
HEADER_LENGTH_LEN: Final = 4
MAX_HEADER_LEN: Final = 256 * 1024
SIGNATURE_LEN: Final = 64
DIGEST_LEN: Final = 32
TAG_LEN: Final = 16

TRAILER_MARKER: Final = b"KCDEND" + bytes([FORMAT_VERSION])
TRAILER_BODY_LEN: Final = 3 * DIGEST_LEN + 8
TRAILER_LEN: Final = len(TRAILER_MARKER) + TRAILER_BODY_LEN + SIGNATURE_LEN

HEADER_DOMAIN: Final = b"KEYCOUNCIL-V1-DUMP-HEADER\x00"
TRAILER_DOMAIN: Final = b"KEYCOUNCIL-V1-DUMP-TRAILER\x00"
DIGEST_DOMAIN: Final = b"KEYCOUNCIL-V1-DUMP-DIGEST\x00"

MIN_CHUNK_SIZE: Final = 64
MAX_CHUNK_SIZE: Final = 16 * 1024 * 1024
DEFAULT_CHUNK_SIZE: Final = 1024 * 1024


def prefix_for(version: int) -> bytes:
    """The 7-byte prefix of a dump of this format version."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"format version {version} is not one this code writes")
    return MAGIC + bytes([version])


def check_prefix(data: bytes) -> int:
    """Step (1) of opening: the magic, then the version byte; return the version (1 or 2),
    refuse any other."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        if MAGIC.startswith(bytes(data)):
            raise DumpTruncated(f"file ends inside the {PREFIX_LEN}-byte prefix ({len(data)} bytes)")
        raise NotADump("not a keycouncil dump: the file does not start with the magic 'KCDUMP'")
    if len(data) < PREFIX_LEN:
        raise DumpTruncated("file ends before the format version byte")
    version = data[len(MAGIC)]
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(
            f"dump format version {version} is not supported (this reader knows versions 1 and 2)")
    return version


def encode_header_length(length: int) -> bytes:
    """The 4-byte big-endian header length; a header over MAX_HEADER_LEN is a caller bug."""
    if not 0 < length <= MAX_HEADER_LEN:
        raise ValueError(f"header length {length} outside 1..{MAX_HEADER_LEN}")
    return length.to_bytes(HEADER_LENGTH_LEN, "big")


def header_signed_message(header_bytes: bytes, version: int = FORMAT_V1) -> bytes:
    """What the header signature covers: HEADER_DOMAIN ‖ prefix (with its version) ‖ header bytes."""
    return HEADER_DOMAIN + prefix_for(version) + header_bytes


def chunk_area_length(plaintext_length: int, chunk_size: int) -> int:
    """Bytes of all chunks for a plaintext: one 16-byte tag per chunk, at least one chunk."""
    return chunk_count(plaintext_length, chunk_size) * TAG_LEN + plaintext_length


def chunk_count(plaintext_length: int, chunk_size: int) -> int:
    """ceil(length / chunk_size), and 1 for the empty plaintext (one empty last chunk)."""
    return max(1, -(-plaintext_length // chunk_size))


@dataclass(frozen=True, slots=True)
class Trailer:
    """The signed summary at the end of a dump (not yet verified when parsed)."""

    header_sha256: bytes
    chunks_sha256: bytes
    plaintext_length: int
    plaintext_sha256: bytes
    signature: bytes
    version: ClassVar[int] = FORMAT_V1
    hash_name: ClassVar[str] = "SHA-256"

    def __post_init__(self) -> None:
        for name in ("header_sha256", "chunks_sha256", "plaintext_sha256"):
            if len(getattr(self, name)) != DIGEST_LEN:
                raise ValueError(f"{name} must be {DIGEST_LEN} bytes")
        if len(self.signature) != SIGNATURE_LEN or not 0 <= self.plaintext_length < 2**64:
            raise ValueError("bad signature length or plaintext length")

    @property
    def chunks_digest(self) -> bytes:
        """The signed digest of the chunk area (SHA-256 in version 1)."""
        return self.chunks_sha256

    def body(self) -> bytes:
        """header_sha256 ‖ chunks_sha256 ‖ plaintext_length (uint64 BE) ‖ plaintext_sha256."""
        return trailer_body(self.header_sha256, self.chunks_sha256,
                            self.plaintext_length, self.plaintext_sha256)

    def signed_message(self) -> bytes:
        """What the trailer signature covers: TRAILER_DOMAIN ‖ prefix ‖ body."""
        return TRAILER_DOMAIN + PREFIX + self.body()

    def dump_digest(self) -> bytes:
        """The dump's digest (chain link): SHA-256(DIGEST_DOMAIN ‖ prefix ‖ body)."""
        return hashlib.sha256(DIGEST_DOMAIN + PREFIX + self.body()).digest()

    def to_bytes(self) -> bytes:
        return TRAILER_MARKER + self.body() + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> Trailer:
        """Parse exactly TRAILER_LEN bytes; the signature is not checked here."""
        if len(data) != TRAILER_LEN:
            raise DumpTruncated(f"trailer: expected {TRAILER_LEN} bytes, got {len(data)}")
        if data[: len(TRAILER_MARKER)] != TRAILER_MARKER:
            raise TrailerInvalid("trailer: marker is not 'KCDEND' followed by version 1 (damaged)")
        body = data[len(TRAILER_MARKER):len(TRAILER_MARKER) + TRAILER_BODY_LEN]
        return cls(header_sha256=bytes(body[0:32]), chunks_sha256=bytes(body[32:64]),
                   plaintext_length=int.from_bytes(body[64:72], "big"),
                   plaintext_sha256=bytes(body[72:104]),
                   signature=bytes(data[TRAILER_LEN - SIGNATURE_LEN:]))


def trailer_body(header_sha256: bytes, chunks_sha256: bytes, plaintext_length: int,
                 plaintext_sha256: bytes) -> bytes:
    """The 104-byte trailer body, in the order signed."""
    return header_sha256 + chunks_sha256 + plaintext_length.to_bytes(8, "big") + plaintext_sha256
