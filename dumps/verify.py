"""Keyless checks of a dump: signatures, trailer binding, layout, chunk digest, evidence.

Implements opening steps (1)-(10) and verification step (V) of docs/dump-format.md. Needs no key:
anyone holding the file can tell whether it is authentic and which dump it is (its digest).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from council.crypto import kem
from council.errors import ProofError
from dumps.errors import (
    ContentMismatch,
    HeaderSignatureInvalid,
    LengthMismatch,
    TrailerMismatch,
    TrailerSignatureInvalid,
)
from dumps.evidence import EvidenceChecker, check_evidence
from dumps.format import chunk_area_length, header_signed_message
from dumps.header import DumpHeader
from dumps.reader import file_size, open_regular, read_unverified_header, read_unverified_trailer
from dumps.stream import Progress, hash_chunk_area
from dumps.trailers import AnyTrailer, trailer_length

READ_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AuthenticDump:
    """A dump whose header and trailer signatures verified (and, if `deep`, its chunk digest)."""

    header: DumpHeader
    header_bytes: bytes
    trailer: AnyTrailer
    body_start: int
    file_size: int
    evidence_status: str
    deep: bool

    @property
    def digest(self) -> bytes:
        """The dump digest (docs/dump-format.md, "Dump digest"): the chain link to this dump."""
        return self.trailer.dump_digest()

    @property
    def version(self) -> int:
        """The format version (1 or 2): the prefix byte, equal to the header's format_version."""
        return self.header.format_version

    @property
    def area_length(self) -> int:
        """Bytes of the chunk area."""
        return self.file_size - self.body_start - trailer_length(self.version)


def authenticate(f: BinaryIO, evidence_checker: EvidenceChecker | None = None) -> AuthenticDump:
    """Opening steps (1)-(9), without reading the chunks."""
    head = read_unverified_header(f)                                          # (1)-(3)
    header = head.header
    sealer = _public_key(header.sealer_public_key)
    try:                                                                      # (4)
        sealer.verify(head.signature, header_signed_message(head.header_bytes, head.version))
    except InvalidSignature:
        raise HeaderSignatureInvalid(
            "header signature does not verify under the header's sealer key: header altered") from None
    status = check_evidence(header.evidence, header.sealer_public_key, evidence_checker)  # (5)
    size = file_size(f)
    trailer = read_unverified_trailer(f, size, head)                          # (6)
    try:                                                                      # (7)
        sealer.verify(trailer.signature, trailer.signed_message())
    except InvalidSignature:
        raise TrailerSignatureInvalid("trailer signature does not verify under the header's sealer "
                                      "key: trailer altered, or taken from another sealer's dump") from None
    if trailer.header_sha256 != head.header_sha256:                           # (8)
        raise TrailerMismatch(
            f"the trailer was signed for another header (header sha256 {trailer.header_sha256.hex()[:16]}…,"
            f" this header {head.header_sha256.hex()[:16]}…): it was moved from another dump")
    try:                                                                      # (9)
        kem.verify_ciphertext(header.kem(), header.label())
    except ProofError:
        raise ProofError("header kem_ciphertext: its proof does not verify for this dump's label") from None
    return AuthenticDump(header, head.header_bytes, trailer, head.body_start, size, status, False)


def verify_chunks(f: BinaryIO, dump: AuthenticDump, progress: Progress | None = None) -> AuthenticDump:
    """Steps (10) and (V): the chunk area has the signed layout and its hash (SHA-256 in v1,
    BLAKE3 in v2) matches the trailer."""
    check_layout(dump)
    f.seek(dump.body_start)
    digest = hash_chunk_area(f, dump.area_length, READ_BLOCK, progress, dump.version)
    if not hmac.compare_digest(digest, dump.trailer.chunks_digest):
        raise ContentMismatch(f"the chunk area's {dump.trailer.hash_name} does not match the signed "
                              "chunks digest: a chunk was altered, replaced or reordered")
    return AuthenticDump(dump.header, dump.header_bytes, dump.trailer, dump.body_start,
                         dump.file_size, dump.evidence_status, True)


def check_layout(dump: AuthenticDump) -> None:
    """Step (10): the chunk area is exactly as long as the signed plaintext length implies."""
    expected = chunk_area_length(dump.trailer.plaintext_length, dump.header.chunk_size)
    if dump.area_length != expected:
        raise LengthMismatch(_length_message(dump.area_length, expected, dump.header.chunk_size))


def verify_dump(source: Path | BinaryIO, evidence_checker: EvidenceChecker | None = None,
                progress: Progress | None = None) -> AuthenticDump:
    """Check a whole dump without any key; raise the precise KeycouncilError subclass if not authentic."""
    if isinstance(source, Path):
        with open_regular(source) as f:
            return verify_dump(f, evidence_checker, progress)
    return verify_chunks(source, authenticate(source, evidence_checker), progress)


def _public_key(raw: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise HeaderSignatureInvalid("header sealer_public_key is not a valid Ed25519 key") from None


def _length_message(actual: int, expected: int, chunk_size: int) -> str:
    diff = actual - expected
    chunks = abs(diff) / (chunk_size + 16)
    what = "longer" if diff > 0 else "shorter"
    cause = "a chunk repeated or data inserted" if diff > 0 else "a chunk dropped"
    return (f"the chunk area is {abs(diff)} bytes ({chunks:.2f} chunks) {what} than the signed "
            f"plaintext length implies: {cause}")
