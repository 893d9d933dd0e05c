"""The account that submits transactions: its key is read from a 0600 file, never from argv or env.

The key never appears in a message, a log line or a repr: only the address does.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Any

from eth_account import Account

from council.errors import ChainError


class Signer:
    """Signs transactions for one account; shows only its address."""

    __slots__ = ("_account", "address")

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("an account key is 32 bytes")
        self._account = Account.from_key(key)
        self.address: str = self._account.address

    def sign(self, tx: dict[str, Any]) -> bytes:
        """The raw signed transaction."""
        return bytes(self._account.sign_transaction(tx).raw_transaction)

    def __repr__(self) -> str:
        return f"Signer({self.address})"


def load_signer(path: Path) -> Signer:
    """Read a hex account key from `path`, which must be a regular file only its owner can read."""
    try:
        st = path.stat()
        text = path.read_text().strip()
    except OSError as exc:
        raise ChainError(f"account key file {path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
        raise ChainError(f"account key file {path}: must be a regular file with mode 0600 "
                         f"(is {stat.S_IMODE(st.st_mode):04o})")
    hexkey = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        key = bytes.fromhex(hexkey)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ChainError(f"account key file {path}: expected 64 hex digits (a 32-byte secp256k1 key)")
    return Signer(key)


def create_key_file(path: Path) -> Signer:
    """Make a new random account key in `path` (0600, created exclusively, fsynced)."""
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.hex() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return Signer(key)
