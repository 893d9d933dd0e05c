"""Identity signatures refuse every change: another body, kind, sender, key or signature byte
(council/crypto/signing.py, the Signed framing of council/crypto/messages.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto import signing
from council.crypto.messages import sign
from council.errors import AuthenticationFailed, DecodeError


def test_a_signature_verifies_only_what_was_signed() -> None:
    alice, mallory = signing.Signer.generate(), signing.Signer.generate()
    sig = alice.sign("dealing", b"body")
    signing.verify(alice.public_key, "dealing", b"body", sig, "alice")
    for key, kind, body, signature in ((alice.public_key, "dealing", b"bodY", sig),
                                       (alice.public_key, "response", b"body", sig),
                                       (mallory.public_key, "dealing", b"body", sig),
                                       (alice.public_key, "dealing", b"body", bytes(64)),
                                       (alice.public_key, "dealing", b"body", sig[:-1] + bytes([sig[-1] ^ 1]))):
        with pytest.raises(AuthenticationFailed, match="alice: .* signature does not verify"):
            signing.verify(key, kind, body, signature, "alice")
    with pytest.raises(DecodeError, match="signing key must be 32 bytes"):
        signing.verify(alice.public_key[:31], "dealing", b"body", sig, "alice")


def test_a_signed_message_refuses_another_body_or_sender() -> None:
    from dataclasses import replace

    from council.crypto.committee import MemberKeys
    from council.crypto.group import P256, Scalar

    alice = signing.Signer.generate()
    keys = MemberKeys(1, alice.public_key, P256.base_mul(Scalar(7)))
    msg = sign(alice, "dealing", 1, b"body")
    msg.verify(keys, "dealing")
    with pytest.raises(AuthenticationFailed):
        replace(msg, body=b"other").verify(keys, "dealing")
    with pytest.raises(DecodeError, match="expected a dealing from member 1"):
        replace(msg, sender=2).verify(keys, "dealing")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["dealing", "response", "epoch-commit"]), st.integers(0, 511))
def test_verify_agrees_with_openssl(message: bytes, kind: str, flip: int) -> None:
    """libsodium (`verify`) accepts what OpenSSL accepts from honest signers, and refuses a flipped bit as OpenSSL does."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    alice = signing.Signer.generate()
    sig = alice.sign(kind, message)
    framed = signing.SIG_PREFIX + kind.encode() + b"\x00" + message
    Ed25519PublicKey.from_public_bytes(alice.public_key).verify(sig, framed)
    signing.verify(alice.public_key, kind, message, sig, "alice")
    bad = bytearray(sig)
    bad[flip // 8] ^= 1 << (flip % 8)
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(alice.public_key).verify(bytes(bad), framed)
    with pytest.raises(AuthenticationFailed):
        signing.verify(alice.public_key, kind, message, bytes(bad), "alice")


def test_verify_refuses_small_order_keys_and_short_signatures() -> None:
    """The identity point as key, with R = identity and S = 0, holds in the group equation for every
    message; libsodium refuses it (strict), and a signature of the wrong length never verifies."""
    identity = b"\x01" + bytes(31)
    with pytest.raises(AuthenticationFailed):
        signing.verify(identity, "dealing", b"body", identity + bytes(32), "mallory")
    alice = signing.Signer.generate()
    sig = alice.sign("dealing", b"body")
    for wrong in (sig[:-1], sig + b"\x00", b""):
        with pytest.raises(AuthenticationFailed):
            signing.verify(alice.public_key, "dealing", b"body", wrong, "alice")
