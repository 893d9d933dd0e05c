"""Step (1b) of recovery: the council log's newest announced dump decides what is recovered.

docs/recovery.md, "The newest announced version". With the log's announcement of the app
(version, dump digest, the entry), the coordinator:

(1) takes the store's dump with exactly that digest, even when the store's own chain would skip
    it, and names every newer dump of the store that the log does not announce;
(2) if the store lacks it or it does not verify, stops with `NewestNotRecoverable`, naming the
    version, its digest and why, unless `allow_older`;
(3) with `allow_older`, proceeds with the newest authentic dump of an older version (one whose
    digest the log announced for that version, or a version the log never announced), and returns
    the older-dump-allowed body the coordinator appends to the log (`t` members approve it)
    before the members release anything for that older version.

Without an announcement of the app (a log that predates announcements), the store's choice stands
and the report says that the log could not confirm it.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.log import AppHead, OlderDumpAllowed
from council.protocol.dumpref import DumpReference
from dumps.evidence import EvidenceChecker
from dumps.newest import Candidate, Skipped, authentic_dumps
from dumps.store import DumpStore, FolderStore
from recovery.choose import ChosenDump, NoDumpToRecover


class NewestNotRecoverable(NoDumpToRecover):
    """The newest announced dump is missing from the store or does not verify (rollback by omission)."""


@dataclass(frozen=True)
class Resolution:
    """The dump to recover, the older-dump decision to log (if any), and lines for the report."""

    chosen: ChosenDump
    head: AppHead | None
    older: OlderDumpAllowed | None = None
    notices: tuple[str, ...] = ()


def resolve(store: DumpStore, first: ChosenDump, head: AppHead | None, *, version: int | None = None,
            admit: EvidenceChecker | None = None, allow_older: bool = False) -> Resolution:
    """Steps (1)-(3): check the store's choice `first` against the log's newest announcement `head`."""
    app_id = first.candidate.dump.header.app_id
    if head is None:
        return Resolution(first, None, None, (f"the council log announces no dump of {app_id}: {first.name} "
                                              "is the store's newest, not confirmed by the log",))
    if version is not None and version != head.version:
        return _asked_for(store, first, head, version, allow_older)
    if (first.version, first.candidate.dump.digest) == (head.version, head.digest):
        return Resolution(first, head)
    found, skipped = authentic_dumps(store, app_id, admit)
    notices = tuple(f"{c.name}: {app_id} version {c.version} is not announced in the council log (the "
                    f"newest announced is version {head.version}): not recovered" for c in found
                    if c.version > head.version)
    match = [c for c in found if c.dump.digest == head.digest]
    if match:                                                                               # (1)
        return Resolution(_chosen(store, match[0], skipped), head, None, notices)
    why = _why_missing(store, head, found, skipped)
    if not allow_older:                                                                     # (2)
        raise NewestNotRecoverable(
            f"the newest announced dump of {app_id} is version {head.version} (digest {head.digest.hex()}, "
            f"log entry {head.seq}): {why}; refusing to recover an older version (--allow-older recovers "
            "the newest authentic older dump in the store and records that decision in the council log)")
    older = _newest_older(found, head)                                                      # (3)
    if older is None:
        raise NoDumpToRecover(f"{store.url}: no authentic dump of {app_id} older than the announced version "
                              f"{head.version} either ({why})")
    body = OlderDumpAllowed(app_id, head.version, head.digest, older.version, older.dump.digest,
                            f"--allow-older: version {head.version} {why}"[:1024])
    return Resolution(_chosen(store, older, skipped), head, body, notices)


def _asked_for(store: DumpStore, first: ChosenDump, head: AppHead, version: int,
               allow_older: bool) -> Resolution:
    app_id, digest = first.candidate.dump.header.app_id, first.candidate.dump.digest
    if version > head.version:
        raise NoDumpToRecover(f"{app_id} version {version} is not announced in the council log (the newest "
                              f"announced is version {head.version}, log entry {head.seq})")
    announced = head.digest_of(version)
    if announced is not None and announced != digest:
        raise NoDumpToRecover(f"{first.name}: {app_id} version {version} has digest {digest.hex()}, the council "
                              f"log announced {announced.hex()} for that version")
    if not allow_older:
        raise NewestNotRecoverable(
            f"{app_id} version {version} is older than the newest announced version {head.version} (digest "
            f"{head.digest.hex()}, log entry {head.seq}); members release only the newest announced version "
            "unless --allow-older records that decision in the council log")
    body = OlderDumpAllowed(app_id, head.version, head.digest, version, digest,
                            f"--allow-older: the operator asked for version {version}")
    return Resolution(first, head, body)


def _why_missing(store: DumpStore, head: AppHead, found: list[Candidate], skipped: list[Skipped]) -> str:
    same = [c for c in found if c.version == head.version]
    if same:
        return (f"the store's version {head.version} ({same[0].name}) has digest {same[0].dump.digest.hex()}, "
                "not the announced one")
    damaged = "; ".join(f"{s.name}: {s.reason}" for s in skipped)
    return (f"{store.url} holds no authentic dump with that digest"
            + (f" (does not verify: {damaged})" if damaged else " (it is missing)"))


def _newest_older(found: list[Candidate], head: AppHead) -> Candidate | None:
    older = [c for c in found if c.version < head.version and head.digest_of(c.version) in (None, c.dump.digest)]
    return max(older, key=lambda c: c.version, default=None)


def _chosen(store: DumpStore, candidate: Candidate, skipped: list[Skipped]) -> ChosenDump:
    with store.open_entry(candidate.name) as f:
        reference = DumpReference.of(f, candidate.dump)
    path = store.folder / candidate.name if isinstance(store, FolderStore) else None
    return ChosenDump(path, candidate, reference, tuple(skipped), store)
