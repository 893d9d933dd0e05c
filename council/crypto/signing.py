"""Ed25519 identity signatures with a domain-separation prefix per message kind.

Signed with OpenSSL (`cryptography`), verified with libsodium (PyNaCl) as the council log already
is (decision 38; council/log/sigcheck.py): about 1.7x faster, and strict (it refuses small-order
keys and non-canonical encodings, which no honest signer produces). Every check of an identity
signature goes through `verify` here or `sigcheck.is_valid`, so all verifiers agree.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from council.crypto.ed25519_verify import verify_detached
from council.errors import AuthenticationFailed, DecodeError

SIG_PREFIX = b"KEYCOUNCIL-V1-SIG-"
PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64


class Signer:
    """Holds an identity signing key; signs `prefix ‖ kind ‖ 0x00 ‖ message`."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        return self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, kind: str, message: bytes) -> bytes:
        return self._key.sign(_framed(kind, message))

    def __repr__(self) -> str:
        return f"Signer(public_key={self.public_key.hex()[:16]}…)"


def _framed(kind: str, message: bytes) -> bytes:
    return SIG_PREFIX + kind.encode() + b"\x00" + message


def verify(public_key: bytes, kind: str, message: bytes, signature: bytes, who: str) -> None:
    """Raise AuthenticationFailed unless `signature` is `who`'s signature of `message`."""
    if len(public_key) != PUBLIC_KEY_LEN:
        raise DecodeError(f"{who}: signing key must be {PUBLIC_KEY_LEN} bytes, got {len(public_key)}")
    if len(signature) != SIGNATURE_LEN:
        raise AuthenticationFailed(f"{who}: {kind} signature does not verify")
    if not verify_detached(public_key, _framed(kind, message), signature):
        raise AuthenticationFailed(f"{who}: {kind} signature does not verify")
