"""The few file operations the TEE interfaces need, behind one small object.

configfs-tsm and Gramine's /dev/attestation are pseudo-files: the kernel (or Gramine) reacts to a
write and makes the answer when it is read. Every provider does its I/O through a `PseudoFiles`
object, so that the exact same provider code runs on the real interface (`OsPseudoFiles`) and, in
tests, on a plain directory whose platform side is played by a subclass (tests/tee/tee_doubles.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from dumps.tee.errors import TeeInterfaceError


class PseudoFiles(Protocol):
    """mkdir / rmdir / whole-file read and write of attestation pseudo-files."""

    def is_dir(self, path: Path) -> bool: ...
    def mkdir(self, path: Path) -> None: ...
    def rmdir(self, path: Path) -> None: ...
    def read(self, path: Path, limit: int) -> bytes: ...
    def write(self, path: Path, data: bytes) -> None: ...


class OsPseudoFiles:
    """The real thing: plain system calls, no O_CREAT or O_TRUNC (pseudo-files already exist)."""

    def is_dir(self, path: Path) -> bool:
        return path.is_dir()

    def mkdir(self, path: Path) -> None:
        try:
            os.mkdir(path, 0o700)
        except OSError as exc:
            raise TeeInterfaceError(f"cannot create {path}: {exc.strerror}") from None

    def rmdir(self, path: Path) -> None:
        try:
            os.rmdir(path)
        except OSError as exc:
            raise TeeInterfaceError(f"cannot remove {path}: {exc.strerror}") from None

    def read(self, path: Path, limit: int) -> bytes:
        """Read to end of file; refuse more than `limit` bytes."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise TeeInterfaceError(f"cannot open {path} for reading: {exc.strerror}") from None
        try:
            parts, total = [], 0
            while part := os.read(fd, min(65536, limit + 1 - total)):
                parts.append(part)
                total += len(part)
                if total > limit:
                    raise TeeInterfaceError(f"{path}: more than {limit} bytes")
            return b"".join(parts)
        except OSError as exc:
            raise TeeInterfaceError(f"cannot read {path}: {exc.strerror}") from None
        finally:
            os.close(fd)

    def write(self, path: Path, data: bytes) -> None:
        """Write `data` in one call and close; a pseudo-file may refuse it at write or at close."""
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError as exc:
            raise TeeInterfaceError(f"cannot open {path} for writing: {exc.strerror}") from None
        try:
            written = os.write(fd, data)
        except OSError as exc:
            os.close(fd)
            raise TeeInterfaceError(f"cannot write {path}: {exc.strerror}") from None
        try:
            os.close(fd)
        except OSError as exc:
            raise TeeInterfaceError(f"{path} refused the write: {exc.strerror}") from None
        if written != len(data):
            raise TeeInterfaceError(f"{path}: wrote {written} of {len(data)} bytes")
