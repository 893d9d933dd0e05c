"""Comparing a key's council log with what the chain holds of it (`log verify --chain-rpc`, recovery).

`chain_log`: the entries of every `Anchored` event of the key, in order, each anchor extending the
last (the contract checked the council's signature on each). `compare`: the log and the chain must
agree entry by entry on the part both hold; the chain may be behind the log (not anchored yet), a
log behind the chain is a log cut short (someone hides entries the council published).
`audit_chain`: the log rebuilt from the chain's events alone and verified without trusting the
node: every anchor's council signature is checked here against the registered G2 key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from council.chain.heads import chain_key_id, empty_head, split_entries
from council.chain.messages import anchor_message
from council.crypto.bn254.bls import verify
from council.crypto.bn254.curve import G1, G2
from council.crypto.bn254.hash_to_curve import keccak256
from council.errors import ChainError, DecodeError
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


# ---------------------------------------------------------------------- the log from the chain alone

@dataclass(frozen=True)
class AuditedAnchor:
    """One `Anchored` event whose signature, link and entries checked out."""

    seq: int
    seq_from: int
    block_number: int
    epoch: int
    roster_digest: bytes


@dataclass(frozen=True)
class ChainFailure:
    """The first thing that failed: the entry (or anchor) it is about, the rule, why."""

    seq: int | None
    rule: str
    detail: str

    def line(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "the chain"
        return f"{where}: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class ChainAudit:
    """What `audit_chain` found: the entries rebuilt and verified, the anchors, the first failure."""

    key_id: str
    contract: str
    chain_id: int
    pubkey: bytes
    entries: tuple[Entry, ...]
    anchors: tuple[AuditedAnchor, ...]
    state: LogState
    failure: ChainFailure | None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def lines(self) -> list[str]:
        """What `log verify --chain-rpc URL --contract ADDR --key-id KEY` (no FILE) prints."""
        fp = hashlib.sha256(self.pubkey).hexdigest()[:16] if self.pubkey else "-"
        out = [f"log of key {self.key_id} rebuilt from contract {self.contract} (chain id {self.chain_id}), "
               f"registered G2 key fingerprint {fp}"]
        anchor_of: dict[int, AuditedAnchor] = {}
        for a in self.anchors:
            for s in range(a.seq_from, a.seq):
                anchor_of[s] = a
        names = _names(self.state)
        for e in self.entries:
            found = anchor_of.get(e.seq)
            where = (f"anchor seq {found.seq} (block {found.block_number}, epoch {found.epoch}, signature OK)"
                     if found is not None else "")
            who = names.get(e.author.public_key, e.author.public_key.hex()[:12] + "…")
            out.append(f"  {e.seq:>4}  {e.kind.label:<20} by {e.author.role.label} {who:<16} {where}".rstrip())
        if self.failure is None:
            head = (f"head entry {self.state.next_seq - 1} {self.state.head.hex()}" if self.entries
                    else "no entry anchored")
            out.append(f"log of key {self.key_id}: OK, {len(self.entries)} entries rebuilt from "
                       f"{len(self.anchors)} anchors (council signatures, chain of heads, entry chain, "
                       f"author signatures, rules; the quorum is the council's signature); {head}")
        else:
            out.append(f"log of key {self.key_id}: FAILED at {self.failure.line()}")
            out.append(f"  {len(self.entries)} entries verified before it")
        return out


def _names(state: LogState) -> dict[bytes, str]:
    names: dict[bytes, str] = {}
    if state.roster is not None:
        names.update({m.signing_key: m.name for m in state.roster.members})
        names.update({o.signing_key: o.name for o in state.roster.operators})
    return names


def audit_chain(client: Any, key_id: str, from_block: int = 0) -> ChainAudit:
    """Rebuild `key_id`'s log from the chain's events alone and check it: the registered G2 key,
    every anchor's council signature (verified here, not by the node), the chain of heads, each
    anchor's entries against its head, and every rule of the log but the quorum (steps 1-8 and the
    effect), and the contract's record against the last anchor."""
    key32 = chain_key_id(key_id)
    record = client.record(key32)
    state = LogState(key_id)
    entries: list[Entry] = []
    anchors: list[AuditedAnchor] = []

    def result(failure: ChainFailure | None, pubkey: bytes = record.pubkey) -> ChainAudit:
        return ChainAudit(key_id, client.address, client.chain_id, pubkey, tuple(entries), tuple(anchors), state,
                          failure)

    if not record.registered:
        return result(ChainFailure(None, "anchor.registration", f"key {key_id!r} is not registered with this contract"))
    registered = client.registration(key32, from_block)
    if registered is None:
        return result(ChainFailure(None, "anchor.registration", f"no Registered event of the key from block {from_block}"))
    if registered.pubkey != record.pubkey:
        return result(ChainFailure(None, "anchor.registration", "the Registered event's key is not the record's"))
    if (registered.head_seq, registered.head_digest) != empty_head():
        return result(ChainFailure(None, "anchor.registration", f"registered at seq {registered.head_seq}, not at the "
                                   "empty log: the entries before it are not on chain"))
    try:
        pubkey = G2.from_bytes(record.pubkey, "registered key")
    except DecodeError as exc:
        return result(ChainFailure(None, "anchor.registration", str(exc)))
    seq, head = registered.head_seq, registered.head_digest
    committees: dict[int, bytes] = {}
    for event in client.anchored_events(key32, from_block):
        first = seq
        if event.prev_head != head or event.seq <= seq:
            return result(ChainFailure(first, "anchor.chain", f"the anchor at block {event.block_number} (seq "
                                       f"{event.seq}) does not extend the anchored head (seq {seq})"))
        message = anchor_message(client.chain_id, client.address, key32, event.seq, event.prev_head, event.new_head,
                                 event.roster_digest, event.epoch, keccak256(event.entries))
        try:
            good = verify(pubkey, message, G1.from_bytes(event.signature, "anchor signature"))
        except DecodeError:
            good = False
        if not good:
            return result(ChainFailure(first, "anchor.signature", f"the council signature of the anchor at block "
                                       f"{event.block_number} does not verify under the registered key"))
        try:
            batch = split_entries(event.entries)
        except DecodeError as exc:
            return result(ChainFailure(first, "anchor.entries", str(exc)))
        if not batch or batch[-1].seq + 1 != event.seq or batch[-1].digest != event.new_head:
            return result(ChainFailure(first, "anchor.head", f"the anchor at block {event.block_number} does not "
                                       "end at its own entries (seq and new head)"))
        for entry in batch:
            try:
                check_entry(state, entry)
            except LogRuleError as exc:
                return result(ChainFailure(exc.seq, exc.rule, exc.detail))
            state = fold(state, entry, None)
            entries.append(entry)
            if state.roster is not None:
                committees.setdefault(state.epoch, state.roster.digest())
        if committees.get(event.epoch, event.roster_digest) != event.roster_digest:
            return result(ChainFailure(first, "anchor.committee", f"the anchor at block {event.block_number} names "
                                       f"epoch {event.epoch} with another roster than the log's"))
        anchors.append(AuditedAnchor(event.seq, first, event.block_number, event.epoch, event.roster_digest))
        seq, head = event.seq, event.new_head
    for a in anchors:
        if a.epoch not in committees:
            return result(ChainFailure(a.seq_from, "anchor.committee", f"anchor seq {a.seq} is signed for epoch "
                                       f"{a.epoch}, which the log never committed"))
    if (record.seq, record.head) != (seq, head):
        return result(ChainFailure(None, "anchor.record", f"the contract holds seq {record.seq}, the events from "
                                   f"block {from_block} end at seq {seq} (give the deployment's block)"))
    return result(None)
