"""Choosing the newest authentic dump of an application, without any key.

Implements docs/dump-format.md, "Choosing the newest dump", steps (N1)-(N6). Every dump that is
not taken is reported with the reason: damaged or not authentic, evidence not admitted, duplicate
copy, sealed by an untrusted key, chain broken (rollback, re-labelled copy), same-version conflict.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from council.errors import KeycouncilError
from dumps.evidence import EvidenceChecker
from dumps.store import DumpStore
from dumps.verify import AuthenticDump, authenticate, verify_chunks


@dataclass(frozen=True, slots=True)
class Candidate:
    """An authentic dump of the store and its name."""

    name: str
    dump: AuthenticDump

    @property
    def version(self) -> int:
        return self.dump.header.dump_version


@dataclass(frozen=True, slots=True)
class Skipped:
    """A dump not taken, and why."""

    name: str
    reason: str


@dataclass(slots=True)
class Selection:
    """The outcome: the newest authentic dump (or None), its chain, and every dump skipped."""

    app_id: str
    chain: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def newest(self) -> Candidate | None:
        return self.chain[-1] if self.chain else None


def choose_newest(store: DumpStore, app_id: str, admit: EvidenceChecker | None = None,
                  trusted_sealers: frozenset[bytes] | None = None) -> Selection:
    """Steps (N1)-(N6): verify every dump of `app_id`, then walk versions upwards along the chain."""
    selection = Selection(app_id)
    candidates = _authentic(store, app_id, admit, selection)                  # (N1)-(N3)
    candidates = _deduplicated(candidates, selection)                         # (N4)
    _walk_chain(candidates, admit is not None, trusted_sealers, selection)   # (N5)-(N6)
    return selection


def authentic_dumps(store: DumpStore, app_id: str,
                    admit: EvidenceChecker | None = None) -> tuple[list[Candidate], list[Skipped]]:
    """Steps (N1)-(N3) alone: every authentic, admitted dump of `app_id`, and every dump skipped.
    (Recovery uses it when the council log, not the store's chain, says which dump is the newest.)"""
    selection = Selection(app_id)
    return _authentic(store, app_id, admit, selection), selection.skipped


def _authentic(store: DumpStore, app_id: str, admit: EvidenceChecker | None,
               selection: Selection) -> list[Candidate]:
    found = []
    for entry in store.entries():
        try:
            with store.open_entry(entry.name) as f:
                dump = authenticate(f)                                         # (N1)
                if dump.header.app_id != app_id:                               # (N2)
                    continue
                dump = verify_chunks(f, dump)
        except KeycouncilError as exc:
            selection.skipped.append(Skipped(entry.name, f"not authentic: {type(exc).__name__}: {exc}"))
            continue
        try:                                                                  # (N3)
            if admit is not None:
                admit(dump.header.evidence, dump.header.sealer_public_key)
        except KeycouncilError as exc:
            selection.skipped.append(Skipped(entry.name, f"evidence not admitted: {exc}"))
            continue
        found.append(Candidate(entry.name, dump))
    return found


def _deduplicated(candidates: list[Candidate], selection: Selection) -> list[Candidate]:
    """(N4) The same dump under several names counts once (the first name)."""
    seen: dict[bytes, str] = {}
    unique = []
    for c in candidates:
        if c.dump.digest in seen:
            selection.skipped.append(Skipped(c.name, f"duplicate copy of {seen[c.dump.digest]} "
                                                     f"(version {c.version})"))
            continue
        seen[c.dump.digest] = c.name
        unique.append(c)
    return unique


def _walk_chain(candidates: list[Candidate], admitted: bool, trusted: frozenset[bytes] | None,
                selection: Selection) -> None:
    """(N5) versions in increasing order; each must link to the last accepted dump, from a trusted
    sealer, alone at its version. (N6) the last accepted dump is the newest."""
    by_version: dict[int, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_version[c.version].append(c)
    refused: set[bytes] = set()
    for version in sorted(by_version):
        if trusted is None:  # trust on first use: the sealer of the oldest dump held
            trusted = frozenset({by_version[version][0].dump.header.sealer_public_key})
        linking = []
        for c in by_version[version]:
            reason = _refusal(c, selection.newest, admitted, trusted, refused)
            if reason:
                selection.skipped.append(Skipped(c.name, reason))
                refused.add(c.dump.digest)
            else:
                linking.append(c)
        if len(linking) == 1:
            selection.chain.append(linking[0])
            continue
        for c in linking:
            refused.add(c.dump.digest)
            selection.skipped.append(Skipped(c.name, f"conflict: {len(linking)} authentic dumps "
                                                     f"claim version {version} on the same chain"))


def _refusal(c: Candidate, head: Candidate | None, admitted: bool, trusted: frozenset[bytes],
             refused: set[bytes]) -> str | None:
    header = c.dump.header
    if not admitted and header.sealer_public_key not in trusted:
        return (f"sealed by key {header.sealer_public_key.hex()[:16]}…, not the chain's sealer, and "
                "no admission policy admits it")
    if header.previous_digest in refused:
        return f"chain broken at version {c.version}: it links to a dump that was skipped"
    if head is None:
        return None
    if header.previous_digest != head.dump.digest:
        link = header.previous_digest.hex()[:16] or "nothing (a new chain)"
        return (f"chain broken at version {c.version}: it links to {link}, not to the newest "
                f"accepted dump {head.name} (version {head.version}): rollback or re-labelled copy")
    return None
