"""ECIES over P-256: how shares and target-bound decryption shares travel encrypted.

`E = e·G`, `K = e·P`, key = HKDF-SHA256(K, salt = E ‖ P, info = prefix ‖ context), AES-256-GCM with
the context as associated data and a zero nonce (each key encrypts exactly one message). Whoever
learns `K` (a verifiable complaint publishes it) can open that one ciphertext and no other.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from council.crypto import libcrypto
from council.crypto.group import P256, POINT_LEN, Point, RandomSource, Scalar
from council.errors import AuthenticationFailed, DecodeError

_NONCE = bytes(12)
_TAG_LEN = 16


@dataclass(frozen=True, slots=True)
class EciesCiphertext:
    """An ephemeral point and an AES-256-GCM ciphertext (with its tag)."""

    ephemeral: Point
    body: bytes

    def to_bytes(self) -> bytes:
        return self.ephemeral.to_bytes() + len(self.body).to_bytes(4, "big") + self.body

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "encrypted share") -> EciesCiphertext:
        if len(data) < POINT_LEN + 4 + _TAG_LEN:
            raise DecodeError(f"{field}: expected at least {POINT_LEN + 4 + _TAG_LEN} bytes, got {len(data)}")
        body_len = int.from_bytes(data[POINT_LEN : POINT_LEN + 4], "big")
        if len(data) != POINT_LEN + 4 + body_len or body_len < _TAG_LEN:
            raise DecodeError(f"{field}: body length {body_len} does not match the {len(data)} bytes given")
        return cls(Point.from_bytes(data[:POINT_LEN], f"{field}.E"), bytes(data[POINT_LEN + 4 :]))


def _key(shared: bytes, ephemeral: Point, recipient: Point, info: bytes) -> AESGCM:
    salt = ephemeral.to_bytes() + recipient.to_bytes()
    return AESGCM(HKDF(hashes.SHA256(), 32, salt, info).derive(shared))


def _shared(point: Point, secret: Scalar) -> bytes:
    """The compressed encoding of `secret·point` (constant time), all the KDF needs: libcrypto
    encodes the product itself, with no `Point` built and checked again (about 12 µs each)."""
    if libcrypto.AVAILABLE and not point.is_identity():
        encoded = libcrypto.multiply_secret(point.to_uncompressed(), secret.to_bytes(), compressed=True)
        if encoded is None:
            raise ValueError("the point at infinity has no encoding")
        return encoded
    return (point * secret).to_bytes()


def seal(recipient: Point, plaintext: bytes, info: bytes, rng: RandomSource | None = None) -> EciesCiphertext:
    """Encrypt `plaintext` to `recipient`, bound to `info` (purpose and identifiers)."""
    e = Scalar.random(rng)
    ephemeral = P256.base_mul(e)
    body = _key(_shared(recipient, e), ephemeral, recipient, info).encrypt(_NONCE, plaintext, info)
    return EciesCiphertext(ephemeral, body)


def open_with_shared(shared: Point, ciphertext: EciesCiphertext, recipient: Point, info: bytes) -> bytes:
    """Decrypt given `K = p·E` (from the recipient's key, or from a published complaint)."""
    return _open(shared.to_bytes(), ciphertext, recipient, info)


def _open(shared: bytes, ciphertext: EciesCiphertext, recipient: Point, info: bytes) -> bytes:
    try:
        return _key(shared, ciphertext.ephemeral, recipient, info).decrypt(_NONCE, ciphertext.body, info)
    except InvalidTag:
        raise AuthenticationFailed("encrypted share does not decrypt (wrong key or tampered)") from None


def open_(secret: Scalar, ciphertext: EciesCiphertext, info: bytes, recipient: Point | None = None) -> bytes:
    """Decrypt with the recipient's secret key (`recipient` = its public key, if already known)."""
    recipient = recipient or P256.base_mul(secret)
    return _open(_shared(ciphertext.ephemeral, secret), ciphertext, recipient, info)
