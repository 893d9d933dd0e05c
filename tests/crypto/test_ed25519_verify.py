"""`ed25519_verify.verify_detached` calls libsodium's detached check and agrees with PyNaCl's
`crypto_sign_open` on every input: honest, altered, non-canonical, small-order, short (decision 118)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from council.crypto import ed25519_verify
from council.crypto.ed25519_verify import verify_detached
from council.crypto.signing import Signer

L = 2**252 + 27742317777372353535851937790883648493  # the group order
SIGNER = Signer.from_seed(bytes(range(32)))
IDENTITY = (1).to_bytes(32, "little")  # the neutral point: small order
ORDER_TWO = ((1 << 255) - 19 - 1).to_bytes(32, "little")  # (0, -1): order two


def _opened(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except (CryptoError, ValueError, TypeError):
        return False
    return True


def _both(public_key: bytes, message: bytes, signature: bytes, monkeypatch: pytest.MonkeyPatch) -> bool:
    """The native answer, after checking it against PyNaCl's and against the fallback path."""
    native = verify_detached(public_key, message, signature)
    assert native == _opened(public_key, message, signature)
    with monkeypatch.context() as m:
        m.setattr(ed25519_verify, "_DETACHED", None)
        assert verify_detached(public_key, message, signature) == native
    return native


def test_the_detached_check_is_bound_here() -> None:
    assert ed25519_verify.NATIVE


def _signed(message: bytes) -> bytes:
    return SIGNER._key.sign(message)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 127), st.integers(1, 255), st.sampled_from(["sig", "msg", "key"]))
def test_honest_and_altered_signatures(message: bytes, at: int, flip: int, where: str) -> None:
    mp = pytest.MonkeyPatch()
    sig, key = _signed(message), SIGNER.public_key
    assert _both(key, message, sig, mp)
    if where == "sig":
        sig = sig[:at % 64] + bytes([sig[at % 64] ^ flip]) + sig[at % 64 + 1:]
    elif where == "key":
        key = key[:at % 32] + bytes([key[at % 32] ^ flip]) + key[at % 32 + 1:]
    else:
        message = message + b"\x00" if not message else message[:-1] + bytes([message[-1] ^ flip])
    assert not _both(key, message, sig, mp)


def test_strictness_is_libsodiums(monkeypatch: pytest.MonkeyPatch) -> None:
    message = b"KEYCOUNCIL-V1-SIG-log-approval\x00abc"
    sig = _signed(message)
    s = int.from_bytes(sig[32:], "little")
    non_canonical = sig[:32] + (s + L).to_bytes(32, "little")  # the same scalar, not reduced
    assert not _both(SIGNER.public_key, message, non_canonical, monkeypatch)
    for small in (IDENTITY, ORDER_TWO):
        assert not _both(small, message, sig, monkeypatch)
        assert not _both(SIGNER.public_key, message, small + sig[32:], monkeypatch)  # small-order R
    assert not _both(IDENTITY, b"", IDENTITY + bytes(32), monkeypatch)  # verifies for any message if lax


def test_wrong_lengths_and_other_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    message = b"m" * 100
    sig = _signed(message)
    for key, signature in ((SIGNER.public_key[:31], sig), (SIGNER.public_key + b"\x00", sig),
                           (SIGNER.public_key, sig[:63]), (SIGNER.public_key, sig + b"\x00"), (b"", b"")):
        assert not _both(key, message, signature, monkeypatch)
    assert verify_detached(bytearray(SIGNER.public_key), memoryview(message), bytearray(sig))  # type: ignore[arg-type]
    assert not verify_detached(SIGNER.public_key, message + b"\x00", sig)  # the length counts every byte
