"""Comparing a key's council log with what the chain holds of it (`log verify --chain-rpc`, recovery).

`chain_log`: the entries of every `Anchored` event of the key, in order, each anchor extending the
last (the contract checked the council's signature on each). `compare`: the log and the chain must
agree entry by entry on the part both hold; the chain may be behind the log (not anchored yet), a
log behind the chain is a log cut short (someone hides entries the council published).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from council.chain.heads import chain_key_id, split_entries
from council.errors import ChainError
from council.log import Entry, LogRecord, LogRuleError, LogState
from council.log.rules import check_entry, fold


@dataclass(frozen=True)
class ChainComparison:
    """How a log compares with its anchored entries."""

    key_id: str
    log_length: int
    anchored: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            return [f"chain: OK, {self.anchored} of the log's {self.log_length} entries anchored and equal"
                    + ("" if self.anchored >= self.log_length else
                       f"; entries {self.anchored}..{self.log_length - 1} not anchored yet")]
        return ["chain: FAILED: " + p for p in self.problems]


def chain_log(client: Any, key_id: str, from_block: int = 0) -> list[Entry]:
    """Every anchored entry of `key_id`, in order (ChainClient.rebuild_entries checks the links)."""
    out: list[Entry] = []
    for blob in client.rebuild_entries(chain_key_id(key_id), from_block):
        out += split_entries(blob)
    return out


def compare(key_id: str, records: Sequence[LogRecord], anchored: Sequence[Entry]) -> ChainComparison:
    """The log (`records`) against the chain's entries (`anchored`)."""
    problems = []
    for i, entry in enumerate(anchored):
        if entry.seq != i:
            problems.append(f"anchored entry {i} has sequence number {entry.seq}")
            break
        if i >= len(records):
            problems.append(f"the log has {len(records)} entries but the chain anchors {len(anchored)}: "
                            f"entries {len(records)}..{len(anchored) - 1} are hidden from this log")
            break
        if records[i].entry.digest != entry.digest:
            problems.append(f"entry {i}: the log holds {records[i].entry.id}, the chain anchors {entry.id}")
            break
    return ChainComparison(key_id, len(records), len(anchored), tuple(problems))


def chain_state(key_id: str, anchored: Sequence[Entry]) -> LogState:
    """The log state the chain's entries alone give (each checked by the rules but the quorum: the
    contract checked the council's signature over them instead)."""
    state = LogState(key_id)
    for entry in anchored:
        try:
            check_entry(state, entry)
        except LogRuleError as exc:
            raise ChainError(f"key {key_id!r}: anchored entry {entry.seq} breaks the log's rules ({exc})") from None
        state = fold(state, entry, None)
    return state
