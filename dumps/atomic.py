"""Atomic, never-overwriting file output: temp file (0600) in the destination folder, fsync,
hard-link to the final name (fails if it exists), fsync the folder. On any failure the temp file
is removed and nothing appears at the destination."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from council.errors import StorageError
from dumps.errors import DumpExists

IO_BLOCK = 64 * 1024
"""Smaller than a chunk on purpose: small writes (header, trailer) are buffered, while a chunk
record, longer than the buffer, goes straight from our buffer to the kernel without a copy."""


def ensure_absent(dest: Path) -> None:
    """Fail early (before any expensive work) when the destination already exists."""
    if os.path.lexists(dest):
        raise DumpExists(f"{dest}: already exists; refusing to overwrite")


WRITEBACK_BYTES = 32 * 1024 * 1024


class _EarlyWriteback:
    """A write-only file that asks the kernel to write its dirty pages out every WRITEBACK_BYTES
    (an fdatasync on a helper thread, one at a time), so disk writes overlap sealing and the final
    fsync has little left to wait for. A helper's error is re-raised by `finish`, since the kernel
    reports a write-back error to only one fsync."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh, self._since = fh, 0
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def write(self, data: bytes | memoryview) -> int:
        written = self._fh.write(data)
        self._since += len(data)
        if self._since >= WRITEBACK_BYTES and (self._thread is None or not self._thread.is_alive()):
            self._since = 0
            self._thread = threading.Thread(target=self._sync, name="dump-writeback", daemon=True)
            self._thread.start()
        return written

    def _sync(self) -> None:
        try:
            os.fdatasync(self._fh.fileno())
        except OSError as exc:
            self._error = exc

    def flush(self) -> None:
        self._fh.flush()

    def fileno(self) -> int:
        return self._fh.fileno()

    def join(self) -> None:
        """Wait for the helper, if one is running."""
        if self._thread is not None:
            self._thread.join()

    def finish(self) -> None:
        """Wait for the helper; raise what it met."""
        self.join()
        if self._error is not None:
            raise StorageError(f"writing the file failed ({self._error.strerror})")


@contextmanager
def atomic_output(dest: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Yield a buffered file (starting write-back early); publish it at `dest` only if the block
    completes without error, after an fsync."""
    ensure_absent(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    temp = folder / f".{dest.name}.tmp-{secrets.token_hex(6)}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise StorageError(f"{folder}: cannot create a temporary file ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb", buffering=IO_BLOCK) as fh:
            sink = _EarlyWriteback(fh)
            try:
                yield sink  # type: ignore[misc]
            except BaseException:
                sink.join()  # the caller's error wins; the file is discarded anyway
                raise
            sink.finish()
            fh.flush()
            os.fsync(fh.fileno())
        _publish(temp, dest)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def write_file_atomic(dest: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a small file atomically with `mode`; never overwrites."""
    with atomic_output(dest, mode) as fh:
        fh.write(data)


def _publish(temp: Path, dest: Path) -> None:
    try:
        os.link(temp, dest)
    except FileExistsError:
        raise DumpExists(f"{dest}: appeared while writing; refusing to overwrite") from None
    except OSError as exc:
        raise StorageError(f"{dest}: cannot publish ({exc.strerror})") from None
    os.unlink(temp)
    dir_fd = os.open(dest.parent if str(dest.parent) else ".", os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
