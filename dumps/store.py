"""Dump stores: the `DumpStore` interface and `FolderStore`, a plain folder of dump files.

Implements docs/dump-format.md, "Stores" (the S3 store is in dumps/s3store.py). Any regular file whose first bytes are the magic
`KCDUMP` is a dump of the store, whatever its name; other files are ignored. Publishing is atomic
and never overwrites (temporary file + hard link).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from council.errors import StorageError
from dumps.atomic import atomic_output
from dumps.format import MAGIC

READ_BUFFER = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoreEntry:
    """One object of a store that starts with the dump magic (not yet verified)."""

    name: str
    size: int


class DumpStore(Protocol):
    """Where dumps are published and found: a folder (`FolderStore`) or an S3-compatible bucket
    (`dumps.s3store.S3Store`); `dumps.stores.open_store` picks one from a URL."""

    url: str

    def describe(self, name: str) -> str:
        """Where entry `name` lives, for messages (a path or an s3:// URL)."""
        ...

    def entries(self) -> list[StoreEntry]:
        """Every object that starts with the dump magic, sorted by name."""
        ...

    def stat(self, name: str) -> StoreEntry | None:
        """The object `name` (dump or not), or None when there is none."""
        ...

    def open_entry(self, name: str) -> BinaryIO:
        """Open one entry for streaming reads (seekable; bounded memory)."""
        ...

    def new_dump(self, name: str, size_hint: int | None = None) -> AbstractContextManager[BinaryIO]:
        """A writer that publishes `name` atomically on success, and nothing on failure; never
        overwrites (DumpExists when `name` exists, also when another writer wins a race)."""
        ...


def create_from(store: DumpStore, name: str, source: BinaryIO, size_hint: int | None = None,
                progress: Callable[[int], None] | None = None) -> int:
    """Conditional create from a stream: copy `source` into a new entry `name` in blocks."""
    buf, total = memoryview(bytearray(READ_BUFFER)), 0
    with store.new_dump(name, size_hint) as sink:
        while got := source.readinto(buf):  # type: ignore[attr-defined]
            sink.write(buf[:got])
            total += got
            if progress:
                progress(got)
    return total


class FolderStore:
    """A folder of dump files; names are free, the magic decides what is a dump."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise StorageError(f"{folder}: not a folder")
        self.folder = folder
        self.url = str(folder)

    def __repr__(self) -> str:
        return f"FolderStore({str(self.folder)!r})"

    def describe(self, name: str) -> str:
        return str(self.folder / name)

    def entries(self) -> list[StoreEntry]:
        return sorted(_scan(self.folder), key=lambda e: e.name)

    def stat(self, name: str) -> StoreEntry | None:
        try:
            return StoreEntry(name, self._path(name).stat().st_size)
        except FileNotFoundError:
            return None

    def open_entry(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb", buffering=READ_BUFFER)
        except OSError as exc:
            raise StorageError(f"{self.folder}/{name}: cannot open ({exc.strerror})") from None

    def new_dump(self, name: str, size_hint: int | None = None) -> AbstractContextManager[BinaryIO]:
        return atomic_output(self._path(name), 0o644)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name in (".", "..") or name.startswith("."):
            raise StorageError(f"{name!r}: not a valid dump name in a folder store")
        return self.folder / name


def _scan(folder: Path) -> Iterator[StoreEntry]:
    with os.scandir(folder) as it:
        for item in it:
            if item.name.startswith(".") or not item.is_file(follow_symlinks=False):
                continue
            if _starts_with_magic(Path(item.path)):
                yield StoreEntry(item.name, item.stat(follow_symlinks=False).st_size)


def _starts_with_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False
