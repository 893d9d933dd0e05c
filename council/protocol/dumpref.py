"""A self-authenticating reference to a dump, small enough to put in a recovery request.

It carries the dump's exact header bytes, the header signature and the trailer (175 bytes in format
version 1, 143 in version 2; the header's format_version says which). Anyone can
check, without the chunks, that the sealer signed both, that the trailer belongs to this header,
and compute the dump digest (docs/dump-format.md, opening steps 3, 4, 7, 8 and "Dump digest").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from council.errors import KeycouncilError
from council.protocol.errors import RequestInvalid
from dumps.errors import HeaderSignatureInvalid, TrailerMismatch, TrailerSignatureInvalid
from dumps.format import MAX_HEADER_LEN, SIGNATURE_LEN, header_signed_message
from dumps.header import DumpHeader
from dumps.header_codec import decode_header
from dumps.reader import read_unverified_header
from dumps.trailers import parse_trailer, trailer_length
from dumps.verify import AuthenticDump

_TRAILER_LENS = (trailer_length(1), trailer_length(2))


@dataclass(frozen=True, slots=True)
class DumpReference:
    """Header bytes, header signature and trailer bytes of one dump (not yet verified)."""

    header_bytes: bytes
    header_signature: bytes
    trailer_bytes: bytes

    def __post_init__(self) -> None:
        if not 0 < len(self.header_bytes) <= MAX_HEADER_LEN:
            raise RequestInvalid(f"dump reference: header of {len(self.header_bytes)} bytes")
        if len(self.header_signature) != SIGNATURE_LEN or len(self.trailer_bytes) not in _TRAILER_LENS:
            raise RequestInvalid("dump reference: header signature must be 64 bytes, trailer 175 (v1) or 143 (v2)")

    @classmethod
    def of(cls, f: BinaryIO, dump: AuthenticDump) -> DumpReference:
        """The reference of an authenticated dump; `f` is its file (for the header signature)."""
        f.seek(0)
        head = read_unverified_header(f)
        return cls(dump.header_bytes, head.signature, dump.trailer.to_bytes())

    def verify(self) -> VerifiedDump:
        """Check both signatures and the header/trailer binding; return the header and digest."""
        header = decode_header(self.header_bytes)
        key = _sealer_key(header)
        trailer = parse_trailer(header.format_version, self.trailer_bytes)
        try:
            key.verify(self.header_signature, header_signed_message(self.header_bytes, header.format_version))
        except InvalidSignature:
            raise HeaderSignatureInvalid("dump reference: header signature does not verify") from None
        try:
            key.verify(trailer.signature, trailer.signed_message())
        except InvalidSignature:
            raise TrailerSignatureInvalid("dump reference: trailer signature does not verify") from None
        if trailer.header_sha256 != hashlib.sha256(self.header_bytes).digest():
            raise TrailerMismatch("dump reference: the trailer was signed for another header")
        return VerifiedDump(header, trailer.dump_digest())


@dataclass(frozen=True, slots=True)
class VerifiedDump:
    """What a verified reference tells: the header (label, KEM ciphertext, evidence) and digest."""

    header: DumpHeader
    digest: bytes


def _sealer_key(header: DumpHeader) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(header.sealer_public_key)
    except ValueError:
        raise HeaderSignatureInvalid("dump reference: sealer key is not an Ed25519 key") from None


def verify_reference(ref: DumpReference) -> VerifiedDump:
    """`ref.verify()`, with any decode problem reported as RequestInvalid.

    A member answers many requests for the same dump: the same three byte strings give the
    reference already verified (both signatures, the binding) and decoded, as they did before."""
    try:
        return _verified(ref)
    except KeycouncilError:
        raise
    except ValueError as exc:
        raise RequestInvalid(f"dump reference: {exc}") from None


@lru_cache(maxsize=64)
def _verified(ref: DumpReference) -> VerifiedDump:
    """Only references that verified are kept (a failure raises, and is never cached); the
    reference is hashed and compared by its exact bytes, and the value is immutable."""
    return ref.verify()
