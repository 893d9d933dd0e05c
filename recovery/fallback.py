"""Recovery that falls back (issue 3/7, defect 3): the newest dump sealed to *this* council's key.

A dump of the right key id may still be sealed to another council's key (a key id is only a name).
(1) Choose the newest authentic dump; (2) skip it, with the reason, if the council's lineage shows it
is sealed to another key (dumps.lineage: its epoch committed with another roster); (3) try it; if the
council's combined key does not open its first chunk, it was sealed to another key: skip it with the
reason; (4) repeat with the next newest. An exact version asked for is never replaced by another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dumps.errors import ChunkAuthenticationFailed
from dumps.evidence import EvidenceChecker
from dumps.lineage import Binding, ForeignKey, KeyLineage
from dumps.newest import Skipped
from dumps.store import DumpStore
from recovery.choose import ChosenDump, choose_dump

T = TypeVar("T")


def recover_bound(store: Path | DumpStore, app_id: str, version: int | None, admit: EvidenceChecker | None,
                  lineage_for: Callable[[ChosenDump], KeyLineage], attempt: Callable[[ChosenDump], T],
                  notice: Callable[[Skipped], None]) -> T:
    """Steps (1)-(4); `lineage_for` is asked once, with the first dump chosen (it connects to the
    council of that dump's key id), `notice` hears every dump skipped, `attempt` recovers one."""
    excluded: dict[str, str] = {}
    lineage: KeyLineage | None = None
    while True:
        chosen = choose_dump(store, app_id, version, admit, excluded)                  # (1)
        if lineage is None:
            for s in chosen.skipped:
                notice(s)
            lineage = lineage_for(chosen)
        verdict, why = lineage.binding(chosen.candidate.dump.header)                       # (2)
        reason = why if verdict is Binding.FOREIGN else ""
        if not reason:
            try:
                return attempt(chosen)                                                     # (3)
            except ChunkAuthenticationFailed as exc:
                reason = f"the council's key does not open it ({exc}): sealed to another council's key"
        if version is not None:
            raise ForeignKey(f"{chosen.name}: {reason}")
        excluded[chosen.name] = reason                                                     # (4)
        notice(Skipped(chosen.name, reason))
