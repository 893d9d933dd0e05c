"""Getting a member out of HALTED after a fork (docs/operators.md, "Forks").

A member handed a rival record at a sequence number it has accepted, with a valid quorum of its
own, writes `DIR/log/council/HALTED` (the offered record ‖ the stored record) and approves nothing
more. Once the operators have investigated, the member's operator states which of the two entries
it keeps (`keycouncil member resume-log DIR --key-id KEY --keep-seq N --entry ID`):

1. the command checks the choice against the evidence and the member's own copy of the log: the
   entry must be one of the two in HALTED (nothing else can be chosen), at that key and sequence
   number, and its record must follow the member's log before N with `t` valid approvals of the
   epoch then current (`council.log.apply`): a single operator can only pick among entries the
   council already accepted, never bring in a new one;
2. it writes the decision, durably, next to HALTED (`HALTED.decision`) and logs
   `log-fork-decided` in events.jsonl;
3. the member process applies it at its next council-log call (a proposal or a hand-over), under
   its log lock, after checking it again itself: when the kept entry is the one it had stored,
   its log stays as it is; when it is the rival, the records from N on are moved to the evidence
   folder and the rival takes place N (the rest of that branch arrives by the usual catch-up).
   Narrowing entries among the dropped records are re-filed as this member's own narrowing
   entries, so they stay in effect here (choosing a branch never widens anything). The evidence
   and the decision go to `DIR/log/council/<key>/forks/<N>-<ms>/`, the dropped entry's digest is
   remembered (handing it over again is refused, and does not halt the member again), HALTED is
   removed last, and `log-fork-resolved` is logged. Every step can be re-run after a crash.

Each member's operator decides for its own member: `t` operators are needed to move a quorum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.errors import PolicyRefused, StorageError
from council.log import LogRecord
from council.log.entry import read_record
from council.log.errors import LogDecodeError
from council.log.wire import Reader

HALTED = "HALTED"
DECISION = "HALTED.decision"


class ForkChoiceRefused(PolicyRefused):
    """The operator's choice of branch does not stand against the evidence or the log; the
    message says which check failed. The member stays halted."""


@dataclass(frozen=True)
class ForkEvidence:
    """The two records at one sequence number that made the member halt."""

    offered: LogRecord
    stored: LogRecord

    @property
    def key_id(self) -> str:
        return self.stored.entry.key_id

    @property
    def seq(self) -> int:
        return self.stored.entry.seq

    def pick(self, entry_id: str) -> tuple[LogRecord, LogRecord] | None:
        """(kept, dropped) for the entry id `entry_id`, or None if it is neither of the two."""
        wanted = entry_id.strip().lower()
        if wanted == self.stored.entry.id:
            return self.stored, self.offered
        if wanted == self.offered.entry.id:
            return self.offered, self.stored
        return None

    def describe(self) -> str:
        return (f"key {self.key_id} entry {self.seq}: stored {self.stored.entry.id} "
                f"({self.stored.entry.kind.label}), offered {self.offered.entry.id} ({self.offered.entry.kind.label})")


def read_evidence(path: Path) -> ForkEvidence:
    """The fork evidence of a HALTED file (StorageError if it is damaged)."""
    r = Reader(path.read_bytes(), "HALTED")
    try:
        offered, stored = read_record(r), read_record(r)
        r.end()
    except LogDecodeError as exc:
        raise StorageError(f"{path}: damaged fork evidence ({exc})") from None
    if (offered.entry.key_id, offered.entry.seq) != (stored.entry.key_id, stored.entry.seq):
        raise StorageError(f"{path}: the two records are not at one key and sequence number")
    return ForkEvidence(offered, stored)


@dataclass(frozen=True)
class ForkDecision:
    """What the member's operator decided: at `seq` of `key_id`, keep `keep`, drop `drop`."""

    key_id: str
    seq: int
    keep: str
    drop: str
    by: str
    at: str

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "seq": self.seq, "keep": self.keep, "drop": self.drop,
                "by": self.by, "at": self.at}

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True).encode() + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> ForkDecision:
        try:
            d = json.loads(data)
            return cls(str(d["key_id"]), int(d["seq"]), str(d["keep"]), str(d["drop"]), str(d["by"]), str(d["at"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"{where}: damaged fork decision ({exc})") from None
