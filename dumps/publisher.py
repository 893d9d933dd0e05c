"""`Publisher`: an app's dumps sealed straight into a store, with the chain kept for the caller.

The previous digest of each new version is found, not remembered: on first use the publisher asks
the store for the newest authentic dump of the app, chosen by the very rules readers use
(`dumps.newest`, steps N1-N6), so a restarted app with no local state links to what recovery will
take. `announce` is the extension point for the council log (2/7): when wired, its `latest` must
agree with the store, and every new dump is announced after it is published. A version above 1
with no previous dump anywhere is refused instead of silently starting a new chain.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from council.errors import StorageError
from dumps.errors import ChainConflict, NoPreviousDump
from dumps.evidence import EvidenceChecker
from dumps.format import DEFAULT_CHUNK_SIZE
from dumps.newest import choose_newest
from dumps.seal import SealedDump, seal_stream
from dumps.sealer import SealingIdentity
from dumps.store import READ_BUFFER, DumpStore
from dumps.stream import Progress
from dumps.target import SealTarget

Snapshot = bytes | bytearray | memoryview | Path | BinaryIO
"""What can be sealed: bytes in memory, a file path, or a binary stream (read once, in chunks)."""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest dump of an app: the one the next version must link to."""

    version: int
    digest: bytes
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Published:
    """A dump sealed and published: its name and location in the store, and what sealing made."""

    name: str
    location: str
    sealed: SealedDump

    @property
    def version(self) -> int:
        return self.sealed.header.dump_version

    @property
    def digest(self) -> bytes:
        """This dump's digest: the previous digest of the next version."""
        return self.sealed.digest


class Announce(Protocol):
    """Where the chain is also recorded: the council log of 2/7 (wired by the integrator)."""

    def latest(self, app_id: str) -> ChainHead | None:
        """The newest dump of `app_id` the log knows of, or None."""
        ...

    def announce(self, app_id: str, published: Published) -> None:
        """Record a dump just published (raise a KeycouncilError to report a failure)."""
        ...


class Publisher:
    """Seals versions of one app into one store, each linked to the newest one before it."""

    def __init__(self, store: DumpStore, target: SealTarget, sealer: SealingIdentity, app_id: str, *,
                 announce: Announce | None = None, admit: EvidenceChecker | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.store, self.target, self.sealer, self.app_id = store, target, sealer, app_id
        self.announce, self.admit, self.chunk_size = announce, admit, chunk_size
        self._head: ChainHead | None = None
        self._looked = False

    def head(self, refresh: bool = False) -> ChainHead | None:
        """The chain head: from the store (verified like a reader would) and, when wired, the log.
        Looked up once, then kept up to date by `publish`; `refresh` looks again."""
        if refresh or not self._looked:
            self._head = self._agreed(self._from_store(), self._from_log())
            self._looked = True
        return self._head

    def publish(self, snapshot: Snapshot, *, version: int | None = None, name: str | None = None,
                progress: Progress | None = None) -> Published:
        """Seal `snapshot` as `version` (default: the head's + 1, or 1) and create it in the store
        under `name` (default `APP-vVERSION.kcdump`); never overwrites."""
        head = self.head()
        version = version if version is not None else (head.version + 1 if head else 1)
        previous = self._previous(head, version)
        name = name or f"{self.app_id}-v{version}.kcdump"
        with _readable(snapshot) as (source, size), self.store.new_dump(name, size) as sink:
            sealed = seal_stream(source, sink, target=self.target, sealer=self.sealer,
                                 app_id=self.app_id, dump_version=version, previous_digest=previous,
                                 chunk_size=self.chunk_size, progress=progress)
        published = Published(name, self.store.describe(name), sealed)
        self._head = ChainHead(version, sealed.digest, published.location)
        if self.announce is not None:
            self.announce.announce(self.app_id, published)
        return published

    def _previous(self, head: ChainHead | None, version: int) -> bytes:
        if head is None:
            if version > 1:
                raise NoPreviousDump(
                    f"{self.app_id} version {version}: no previous dump in {self.store.url}"
                    + (" nor in the log" if self.announce else "") + "; refusing to start a new chain "
                    "above version 1 (readers would skip it as 'chain broken')")
            return b""
        if version <= head.version:
            raise ChainConflict(f"{self.app_id} version {version}: the newest is already version "
                                f"{head.version} ({head.location or 'in the log'}); versions only grow")
        return head.digest

    def _from_store(self) -> ChainHead | None:
        selection = choose_newest(self.store, self.app_id, self.admit)
        newest = selection.newest
        if newest is None:
            return None
        chain_sealer = newest.dump.header.sealer_public_key
        if self.admit is None and chain_sealer != self.sealer.public_key:
            raise ChainConflict(
                f"{self.app_id}: the chain in {self.store.url} is sealed by key {chain_sealer.hex()[:16]}…,"
                f" this sealer is {self.sealer.public_key.hex()[:16]}…: readers without an admission "
                "policy would skip its dumps; pass the admission policy (admit=) that admits both")
        return ChainHead(newest.version, newest.dump.digest, self.store.describe(newest.name))

    def _from_log(self) -> ChainHead | None:
        return self.announce.latest(self.app_id) if self.announce is not None else None

    def _agreed(self, stored: ChainHead | None, logged: ChainHead | None) -> ChainHead | None:
        """The store may be ahead of the log (published, not yet announced), never behind it."""
        if logged is None:
            return stored
        if stored is None or stored.version < logged.version:
            where = f"version {stored.version}" if stored else "no dump"
            raise ChainConflict(f"{self.app_id}: the log's newest is version {logged.version}, "
                                f"{self.store.url} has {where}: the store is behind the log (a dump "
                                "is missing or was rolled back); publish it there first")
        if stored.version == logged.version and stored.digest != logged.digest:
            raise ChainConflict(f"{self.app_id} version {logged.version}: the log and the store "
                                "name different dumps")
        return stored


class _readable:
    """A snapshot as (binary stream, size if known) for the duration of a `with`."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._file: BinaryIO | None = None

    def __enter__(self) -> tuple[BinaryIO, int | None]:
        s = self._snapshot
        if isinstance(s, bytes | bytearray | memoryview):
            return io.BytesIO(s), len(s)
        if isinstance(s, Path):
            try:
                self._file = open(s, "rb", buffering=READ_BUFFER)
            except OSError as exc:
                raise StorageError(f"{s}: cannot read the snapshot ({exc.strerror})") from None
            return self._file, s.stat().st_size
        return s, None

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
