"""The rows of `dump ls`: every dump of a store with its app, version, size, sealer and status.

Status comes from `choose_newest` for each application: `newest`, `ok` (in the chain), or the
reason the dump is skipped; files whose header does not even parse are `damaged`.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.errors import KeycouncilError
from dumps.evidence import EvidenceChecker, is_insecure
from dumps.newest import choose_newest
from dumps.reader import read_unverified_header
from dumps.store import DumpStore


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the listing."""

    name: str
    app: str
    version: str
    size: int
    sealer: str
    status: str


def list_store(store: DumpStore, app: str | None = None,
               admit: EvidenceChecker | None = None) -> list[Row]:
    """Every dump in `store` (of `app`, if given), ordered by app, then version, then name."""
    rows, apps = [], {}
    for entry in store.entries():
        try:
            with store.open_entry(entry.name) as f:
                header = read_unverified_header(f).header
        except KeycouncilError as exc:
            if app is None:
                rows.append(Row(entry.name, "?", "?", entry.size, "?", f"damaged: {exc}"))
            continue
        if app is None or header.app_id == app:
            sealer = header.sealer_public_key.hex()[:16]
            apps[entry.name] = (header.app_id, str(header.dump_version), entry.size,
                                sealer + (" INSECURE" if is_insecure(header.evidence) else ""))
    statuses = _statuses(store, {a for a, *_ in apps.values()}, admit)
    rows += [Row(name, *info, statuses.get(name, "?")) for name, info in apps.items()]
    return sorted(rows, key=lambda r: (r.app, r.version.zfill(20), r.name))


def _statuses(store: DumpStore, apps: set[str], admit: EvidenceChecker | None) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for app_id in apps:
        selection = choose_newest(store, app_id, admit)
        for c in selection.chain:
            statuses[c.name] = "ok"
        if selection.newest:
            statuses[selection.newest.name] = "newest"
        for s in selection.skipped:
            statuses[s.name] = f"skipped: {s.reason}"
    return statuses
