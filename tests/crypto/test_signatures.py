"""Identity signatures refuse every change: another body, kind, sender, key or signature byte
(council/crypto/signing.py, the Signed framing of council/crypto/messages.py)."""

from __future__ import annotations

import pytest

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
