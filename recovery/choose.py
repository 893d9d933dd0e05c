"""Step (1) of recovery: the dump to recover, chosen without any key, with every skip reported.

Uses dumps.newest (docs/dump-format.md, "Choosing the newest dump", N1-N6): the newest authentic
dump of the app, or an exact version from the accepted chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from council.errors import StorageError
from council.protocol.dumpref import DumpReference
from dumps.evidence import EvidenceChecker
from dumps.newest import Candidate, Selection, Skipped, choose_newest
from dumps.store import FolderStore, StoreEntry


class NoDumpToRecover(StorageError):
    """The store holds no authentic dump of the app (or not the version asked for)."""


@dataclass(frozen=True)
class ChosenDump:
    """The dump to recover: its file, authenticated header/trailer, reference and the selection."""

    path: Path
    candidate: Candidate
    reference: DumpReference
    skipped: tuple[Skipped, ...]

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def version(self) -> int:
        return self.candidate.version

    @property
    def key_id(self) -> str:
        return self.candidate.dump.header.key_id


def choose_dump(store_dir: Path, app_id: str, version: int | None = None,
                admit: EvidenceChecker | None = None, exclude: Mapping[str, str] | None = None) -> ChosenDump:
    """The newest authentic dump of `app_id` in the folder store (or `version` from its chain);
    dumps named in `exclude` (name → why) are left out and reported as skipped."""
    store = FolderStore(store_dir)
    selection = choose_newest(_Without(store, exclude) if exclude else store, app_id, admit)
    selection.skipped[:0] = [Skipped(name, why) for name, why in (exclude or {}).items()]
    candidate = _pick(selection, version, store_dir)
    with store.open_entry(candidate.name) as f:
        reference = DumpReference.of(f, candidate.dump)
    return ChosenDump(store_dir / candidate.name, candidate, reference, tuple(selection.skipped))


class _Without:
    """A folder store without some of its dumps (those recovery already found unusable)."""

    def __init__(self, store: FolderStore, names: Mapping[str, str]) -> None:
        self.store, self.names = store, names

    def entries(self) -> list[StoreEntry]:
        return [e for e in self.store.entries() if e.name not in self.names]

    def open_entry(self, name: str) -> BinaryIO:
        return self.store.open_entry(name)

    def new_dump(self, name: str) -> AbstractContextManager[BinaryIO]:
        return self.store.new_dump(name)


def _pick(selection: Selection, version: int | None, store_dir: Path) -> Candidate:
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
