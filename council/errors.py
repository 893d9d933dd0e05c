"""The one exception hierarchy of keycouncil.

Subclasses say what the caller can do about a failure. Messages name public identifiers
(member index, file, field, offset) and the rule that was broken; never share or key bytes.
Caller bugs (wrong argument types, impossible parameters) raise ValueError/TypeError instead.
"""

from __future__ import annotations


class KeycouncilError(Exception):
    """Root of every error keycouncil raises on untrusted input or a failed protocol step."""

    def diagnostics(self) -> str:
        """A one-paragraph explanation for the CLI; defaults to the message."""
        return str(self)


class DecodeError(KeycouncilError):
    """Bytes from outside do not parse: wrong length, off-curve point, scalar out of range."""


class ProofError(KeycouncilError):
    """A zero-knowledge proof (Schnorr, DLEQ, KEM proof of knowledge) does not verify."""


class ShareInvalid(KeycouncilError):
    """A secret share, a decryption share or a verification share fails its check."""


class CeremonyError(KeycouncilError):
    """A DKG or re-share cannot proceed: bad message, wrong state, too few qualified dealers."""


class AuthenticationFailed(KeycouncilError):
    """An authenticated ciphertext or a signature does not verify."""


class BadHeader(KeycouncilError):
    """A file or message header is malformed or of an unknown version."""


class TruncatedPayload(KeycouncilError):
    """A stream ended early, or a chunk is missing, repeated or out of order."""


class PolicyRefused(KeycouncilError):
    """A request is well-formed but the release or admission policy forbids it."""


class PeerUnavailable(KeycouncilError):
    """A member could not be reached or did not answer in time."""


class NotEnoughShares(KeycouncilError):
    """Fewer than the threshold of valid decryption shares are available."""


class StorageError(KeycouncilError):
    """A file in a data folder or store is missing, damaged, or belongs elsewhere."""


class AttestationError(KeycouncilError):
    """A TEE quote or its collateral does not verify."""


MAX_MESSAGE = 512
"""Longest error text a member logs or sends back; a longer one is cut, saying how much was cut."""


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` cut to `limit` characters (error text may quote untrusted input: never echo all of it)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters cut)"


def shown(value: str | bytes, limit: int = 80) -> str:
    """An untrusted identifier for an error message: repr, at most `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(value)} long)"


class ChainError(KeycouncilError):
    """The anchor contract refused a transaction, or the chain could not be reached or confirm it."""
