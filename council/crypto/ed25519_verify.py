"""One Ed25519 check in libsodium, without the copies of PyNaCl's `crypto_sign_open`.

PyNaCl binds `crypto_sign_open` only: it joins signature and message, allocates an output buffer
and copies the message out again, about 4 µs of the 92 µs a check costs here. libsodium's own
`crypto_sign_open` is `crypto_sign_verify_detached` on the joined bytes, so this module calls that
function of the very library PyNaCl loaded (its extension exports it), through ctypes: the same
code, the same strict rules (canonical `s`, no small-order key or `R`). Where the symbol cannot be
bound, `verify_detached` falls back to PyNaCl's `crypto_sign_open` (decisions.md #118).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Final

import nacl._sodium
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

PUBLIC_KEY_LEN: Final = 32
SIGNATURE_LEN: Final = 64


def _bind() -> Callable[[bytes, bytes, int, bytes], int] | None:
    """libsodium's `crypto_sign_verify_detached` from PyNaCl's extension module, or None
    (importing `nacl.bindings` above has run `sodium_init`)."""
    try:
        fn = ctypes.CDLL(nacl._sodium.__file__).crypto_sign_verify_detached
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
    fn.restype = ctypes.c_int
    return fn


_DETACHED: Final = _bind()
NATIVE: Final = _DETACHED is not None
"""True when checks call `crypto_sign_verify_detached` directly (False: PyNaCl's wrapper)."""


def verify_detached(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is `public_key`'s Ed25519 signature of `message` (libsodium's rules)."""
    if len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False  # the C function reads exactly 32 and 64 bytes: never pass it fewer
    m = bytes(message)
    if _DETACHED is not None:
        return _DETACHED(bytes(signature), m, len(m), bytes(public_key)) == 0
    try:
        crypto_sign_open(bytes(signature) + m, bytes(public_key))
    except (CryptoError, ValueError, TypeError):
        return False
    return True
