"""The demo app's state: deterministic pseudo-random bytes, so any version can be re-generated to
compare a recovered file with it byte for byte without keeping the originals.

Version `v` of `size` bytes is the AES-256-CTR keystream under SHA-256("keycouncil-demo-state" ‖ v)
(fast: hundreds of MiB/s). Reading a `StateStream` also hashes what was read.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 1024 * 1024
_ZEROS = bytes(BLOCK)


class StateStream(io.RawIOBase):
    """Version `version` of the demo state, `size` bytes long, as a readable binary stream."""

    def __init__(self, version: int, size: int) -> None:
        super().__init__()
        key = hashlib.sha256(b"keycouncil-demo-state" + version.to_bytes(4, "big")).digest()
        self._cipher = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
        self.remaining = size
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = min(len(buffer), self.remaining, BLOCK)
        if n <= 0:
            return 0
        data = self._cipher.update(_ZEROS[:n])
        buffer[:n] = data
        self.sha256.update(data)
        self.remaining -= n
        return n


def same_as_version(path: Path, version: int, size: int,
                    progress: Callable[[int], None] | None = None) -> tuple[bool, str, str]:
    """Compare `path` with version `version` byte for byte: (identical, its SHA-256, the original's)."""
    original = StateStream(version, size)
    recovered = hashlib.sha256()
    identical = True
    buf = bytearray(BLOCK)
    with open(path, "rb") as f:
        while True:
            got = f.read(BLOCK)
            if not got:
                break
            recovered.update(got)
            n = original.readinto(memoryview(buf)[:len(got)])
            if n != len(got) or buf[:n] != got:
                identical = False
            if progress is not None:
                progress(len(got))
    while original.readinto(buf):  # the original is longer than the file
        identical = False
    return identical, recovered.hexdigest(), original.sha256.hexdigest()


def state_sha256(version: int, size: int) -> str:
    """SHA-256 (hex) of version `version` of `size` bytes."""
    stream = StateStream(version, size)
    buf = bytearray(BLOCK)
    while stream.readinto(buf):
        pass
    return stream.sha256.hexdigest()
