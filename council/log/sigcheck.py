"""Ed25519 checks for the log: the framing of council/crypto/signing.py, verified by libsodium.

Signatures are made with `council.crypto.signing.Signer.sign(kind, message)` (OpenSSL), which signs
`KEYCOUNCIL-V1-SIG- ‖ kind ‖ 0x00 ‖ message`. The log verifies them with libsodium (PyNaCl): about
twice as fast here as OpenSSL's verify, which is what lets `verify_log` check 10,000 entries in the
time budget, and strict (it refuses small-order keys and non-canonical encodings, which no honest
signer produces). Every log check goes through this one function, so all verifiers agree.
"""

from __future__ import annotations

from typing import Final

from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from council.crypto.signing import PUBLIC_KEY_LEN, SIG_PREFIX, SIGNATURE_LEN

ENTRY_KIND: Final = "log-entry"
APPROVAL_KIND: Final = "log-approval"


def framed(kind: str, message: bytes) -> bytes:
    """The bytes an identity signature covers (the framing of council/crypto/signing.py)."""
    return SIG_PREFIX + kind.encode() + b"\x00" + message


def is_valid(public_key: bytes, kind: str, message: bytes, signature: bytes) -> bool:
    """True when `signature` is `public_key`'s Ed25519 signature of `message` under `kind`."""
    if len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        crypto_sign_open(signature + framed(kind, message), public_key)
    except (CryptoError, ValueError, TypeError):
        return False
    return True
