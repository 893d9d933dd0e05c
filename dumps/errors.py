"""Errors of the dump format, one class per thing that can be wrong with a dump file.

Each subclasses the matching root class of `council.errors`, so callers may catch either the
precise class or the general one. Messages name regions, chunk numbers, offsets and public
digests; never key or plaintext bytes.
"""

from __future__ import annotations

from council.errors import (
    AuthenticationFailed,
    BadHeader,
    DecodeError,
    KeycouncilError,
    PolicyRefused,
    StorageError,
    TruncatedPayload,
)


class NotADump(BadHeader):
    """The bytes do not start with the dump magic `KCDUMP`."""


class UnsupportedVersion(BadHeader):
    """The format version byte (or the header's format_version) is not one this code reads."""


class HeaderInvalid(BadHeader):
    """The header is not canonical protobuf, or one of its fields breaks a rule."""


class HeaderSignatureInvalid(AuthenticationFailed):
    """The sealer's signature over the header bytes does not verify."""


class TrailerInvalid(DecodeError):
    """The trailer is in place but malformed (marker damaged)."""


class TrailerSignatureInvalid(AuthenticationFailed):
    """The sealer's signature over the trailer does not verify."""


class TrailerMismatch(AuthenticationFailed):
    """The trailer was signed for another header: it belongs to another dump."""


class ChunkAuthenticationFailed(AuthenticationFailed):
    """A chunk fails AES-GCM authentication (its bytes changed, or the data key is wrong)."""


class ChunkOutOfOrder(TruncatedPayload):
    """A chunk authenticates, but at another position: chunks dropped, repeated or reordered."""


class DumpTruncated(TruncatedPayload):
    """The file ends early: inside the header, at a chunk boundary, or without its trailer."""


class LengthMismatch(TruncatedPayload):
    """The chunk area is longer or shorter than the signed plaintext length implies."""


class TrailingData(DecodeError):
    """Bytes follow the trailer."""


class ContentMismatch(AuthenticationFailed):
    """The decrypted content does not match the signed length, plaintext digest or chunk digest."""


class EvidenceRefused(PolicyRefused):
    """The sealer's attestation evidence is malformed, unbound to its key, or not admitted."""


class DumpExists(StorageError):
    """The destination already exists; dumps and opened outputs are never overwritten."""


class KeyProviderError(KeycouncilError):
    """The key provider returned something that is not a 32-byte data key."""


class NoPreviousDump(StorageError):
    """A version above 1 is to be sealed, but no previous dump of the app is found to link to."""


class ChainConflict(PolicyRefused):
    """The chain cannot be continued as asked: version not above the newest, the store behind the
    log, or a sealer the chain's readers would not accept."""
