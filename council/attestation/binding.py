"""The binding between a quote and the sealer key of the TEE that produced it.

A sealing TEE puts SHA-256(b"KEYCOUNCIL-V1-SIGNER" || sealer public key) in the first
32 bytes of its report data, so a verified quote vouches for that key and no other.
See docs/attestation.md, "Binding".
"""

from __future__ import annotations

import hashlib
import hmac

from council.attestation.errors import BindingMismatch
from council.attestation.verify import VerifiedQuote

BINDING_DOMAIN = b"KEYCOUNCIL-V1-SIGNER"


def expected_report_data_prefix(sealer_public_key: bytes) -> bytes:
    """SHA-256(b"KEYCOUNCIL-V1-SIGNER" + sealer_public_key): the 32 bytes report data starts with."""
    if not isinstance(sealer_public_key, bytes | bytearray) or not sealer_public_key:
        raise ValueError("sealer_public_key must be non-empty bytes")
    return hashlib.sha256(BINDING_DOMAIN + bytes(sealer_public_key)).digest()


def report_data_binds(report_data: bytes, sealer_public_key: bytes) -> bool:
    """Whether `report_data` starts with the binding of `sealer_public_key`."""
    prefix = expected_report_data_prefix(sealer_public_key)
    return hmac.compare_digest(bytes(report_data[: len(prefix)]), prefix)


def check_binding(verified: VerifiedQuote, sealer_public_key: bytes) -> None:
    """Raise BindingMismatch unless the verified quote's report data binds the sealer key."""
    if not report_data_binds(verified.quote.body.report_data, sealer_public_key):
        raise BindingMismatch("binding", "report data does not start with SHA-256("
                                         "'KEYCOUNCIL-V1-SIGNER' || sealer public key)")
