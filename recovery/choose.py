"""Step (1) of recovery: the dump to recover, chosen without any key, with every skip reported.

Uses dumps.newest (docs/dump-format.md, "Choosing the newest dump", N1-N6): the newest authentic
dump of the app, or an exact version from the accepted chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from council.errors import StorageError
from council.protocol.dumpref import DumpReference
from dumps.evidence import EvidenceChecker
from dumps.newest import Candidate, Selection, Skipped, choose_newest
from dumps.store import READ_BUFFER, DumpStore, FolderStore, StoreEntry


class NoDumpToRecover(StorageError):
    """The store holds no authentic dump of the app (or not the version asked for)."""


@dataclass(frozen=True)
class ChosenDump:
    """The dump to recover: where it is, its authenticated header/trailer, reference and the
    selection. `path` is its file in a folder store, None in an object store (use `open`)."""

    path: Path | None
    candidate: Candidate
    reference: DumpReference
    skipped: tuple[Skipped, ...]
    store: DumpStore | None = None

    def open(self) -> BinaryIO:
        """The dump for streaming reads (from its store, or its file)."""
        if self.store is not None:
            return self.store.open_entry(self.name)
        assert self.path is not None
        return open(self.path, "rb", buffering=READ_BUFFER)

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def version(self) -> int:
        return self.candidate.version

    @property
    def key_id(self) -> str:
        return self.candidate.dump.header.key_id


def choose_dump(store_dir: Path | DumpStore, app_id: str, version: int | None = None,
                admit: EvidenceChecker | None = None, exclude: Mapping[str, str] | None = None) -> ChosenDump:
    """The newest authentic dump of `app_id` in the store (a folder path or any DumpStore), or
    `version` from its chain; verification streams each candidate, nothing is copied locally.
    Dumps named in `exclude` (name → why) are left out and reported as skipped."""
    store = FolderStore(store_dir) if isinstance(store_dir, Path) else store_dir
    selection = choose_newest(_Without(store, exclude) if exclude else store, app_id, admit)
    selection.skipped[:0] = [Skipped(name, why) for name, why in (exclude or {}).items()]
    candidate = _pick(selection, version, store.url)
    with store.open_entry(candidate.name) as f:
        reference = DumpReference.of(f, candidate.dump)
    path = store.folder / candidate.name if isinstance(store, FolderStore) else None
    return ChosenDump(path, candidate, reference, tuple(selection.skipped), store)


class _Without:
    """A store without some of its dumps (those recovery already found unusable)."""

    def __init__(self, store: DumpStore, names: Mapping[str, str]) -> None:
        self.store, self.names, self.url = store, names, store.url

    def entries(self) -> list[StoreEntry]:
        return [e for e in self.store.entries() if e.name not in self.names]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def _pick(selection: Selection, version: int | None, store_dir: str) -> Candidate:
    skipped = "; ".join(f"{s.name}: {s.reason}" for s in selection.skipped) or "none"
    if selection.newest is None:
        raise NoDumpToRecover(f"{store_dir}: no authentic dump of {selection.app_id} (skipped: {skipped})")
    if version is None:
        return selection.newest
    for c in selection.chain:
        if c.version == version:
            return c
    raise NoDumpToRecover(f"{store_dir}: version {version} of {selection.app_id} is not on the accepted "
                          f"chain (newest is {selection.newest.version}; skipped: {skipped})")
