"""Anchoring a key's council log on chain as a client: register its signing key, anchor its head.

`anchor_log`: (1) the key's current epoch and its signing key's public data, verified against the
commit (`latest_epoch`); (2) the log, verified (`LogClient.read`); (3) the contract's record, whose
head must be a point of this log (else the chain and the members disagree: refused, named);
(4) the next batch of entries (at most the contract's 16 KiB); (5) `t` partial signatures of its
head: from the approvals of the head's own record when the batch is that one entry, else asked of
every member (`SignAnchor`); (6) combined (bad partials are named, not used), submitted, waited for
`confirmations` blocks; repeated until the chain holds the log's head.

`register_key`: the registration message of the key at the empty log (so that every entry goes on
chain), signed by `t` members, submitted with the proof of possession.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from council.chain.heads import (
    ANCHOR,
    REGISTER,
    AnchorPartial,
    batch_head,
    chain_key_id,
    empty_head,
    partial_context,
    registration_message,
)
from council.chain.messages import MAX_ENTRIES, AnchorHead
from council.crypto.bn254.sharing import BnPrevious
from council.crypto.bn254.threshold import combine
from council.driver.client import Failure
from council.driver.log_client import LogClient
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.driver.query import latest_epoch
from council.errors import ChainError, DecodeError, KeycouncilError
from council.log import LogRecord
from council.log.entry import GENESIS_PREVIOUS
from council.protocol.gen import log_pb2 as pb
from council.roster import Roster


@dataclass
class AnchorStep:
    """One anchor transaction: which entries, whose partials, what it cost."""

    seq_from: int
    seq_to: int
    signers: tuple[int, ...]
    tx_hash: str
    gas_used: int | None
    already_anchored: bool
    seconds: float

    def summary(self) -> str:
        what = "already anchored" if self.already_anchored else f"tx {self.tx_hash}, gas {self.gas_used}"
        return (f"anchored entries {self.seq_from}..{self.seq_to - 1} (signed by members "
                f"{', '.join(map(str, self.signers)) or '-'}): {what}, confirmed in {self.seconds:.2f} s")


@dataclass
class AnchorReport:
    """What `anchor_log` did for one key."""

    key_id: str
    log_length: int
    chain_seq_before: int
    steps: list[AnchorStep] = field(default_factory=list)
    culprits: dict[int, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"key {self.key_id}: log has {self.log_length} entries, the chain held {self.chain_seq_before}"]
        out += ["  " + s.summary() for s in self.steps]
        out += [f"  member {i}: partial refused: {why}" for i, why in sorted(self.culprits.items())]
        if not self.steps:
            out.append("  nothing to anchor: the chain holds the log's head")
        return out


def _signing(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing) -> tuple[Any, BnPrevious]:
    epoch = latest_epoch(roster, key_id, operator, timing, pinned=roster.digest())
    signing = epoch.data.verified_bn254()
    if signing is None:
        raise ChainError(f"key {key_id!r} epoch {epoch.bundle.epoch} has no BN254 signing key: give it one with "
                         "`keycouncil ceremony reshare --signing-key`")
    return epoch.bundle, signing


def _asked(log: LogClient, request: pb.SignAnchorRequest, epoch: int) -> list[AnchorPartial]:
    """Every member's partial for `request` (members that fail or answer garbage are left out: the
    combine step needs only `t`, and names bad partials)."""
    partials = []
    for _client, reply in log.ask_all("SignAnchor", request):
        if isinstance(reply, Failure):
            continue
        assert isinstance(reply, pb.SignAnchorReply)
        try:
            p = AnchorPartial.from_bytes(reply.partial)
        except DecodeError:
            continue
        if p.epoch == epoch:
            partials.append(p)
    return partials


def _from_approvals(record: LogRecord, chain_id: int, contract: bytes, epoch: int) -> list[AnchorPartial]:
    out = []
    for a in record.approvals:
        try:
            p = AnchorPartial.from_bytes(a.anchor) if a.anchor else None
        except DecodeError:
            p = None
        if p is not None and (p.chain_id, p.contract, p.epoch) == (chain_id, contract, epoch):
            out.append(p)
    return out


def _batch(records: list[LogRecord], start: int) -> list[LogRecord]:
    """Records from `start` whose entries fit in one anchor (at least one)."""
    out: list[LogRecord] = []
    size = 0
    for r in records[start:]:
        more = len(r.entry.to_bytes()) + 4
        if out and size + more > MAX_ENTRIES:
            break
        out.append(r)
        size += more
    return out


def anchor_log(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing, client: Any,
               confirmations: int = 1, timeout: float = 120.0) -> AnchorReport:
    """Steps (1)-(6) until the contract holds the head of the log the members hold."""
    bundle, signing = _signing(roster, key_id, operator, timing)                      # (1)
    contract = bytes.fromhex(client.address[2:])
    key32 = chain_key_id(key_id)
    with LogClient(roster.members, operator, timing) as log:
        _, records = log.read(key_id)                                                 # (2)
        on_chain = client.record(key32)                                               # (3)
        if not on_chain.registered:
            raise ChainError(f"key {key_id!r} is not registered with contract {client.address}: "
                             "run keycouncil log register first")
        report = AnchorReport(key_id, len(records), on_chain.seq)
        seq = on_chain.seq
        expected = GENESIS_PREVIOUS if seq == 0 else (records[seq - 1].entry.digest if seq <= len(records) else None)
        if expected is None or on_chain.head != expected:
            raise ChainError(f"key {key_id!r}: the contract's head (seq {seq}, {on_chain.head.hex()[:16]}…) is not "
                             f"a point of the log the members hold ({len(records)} entries): the chain and the "
                             "members disagree; audit with keycouncil log verify --chain-rpc")
        while seq < len(records):
            batch = _batch(records, seq)                                              # (4)
            head = batch_head(key_id, [r.entry for r in batch], bundle.commit.roster_digest, bundle.epoch)
            partials = _from_approvals(batch[0], client.chain_id, contract, bundle.epoch) if len(batch) == 1 else []
            if len(partials) < bundle.threshold:                                      # (5)
                request = pb.SignAnchorRequest(key_id=key_id, purpose=ANCHOR, from_seq=seq, to_seq=seq + len(batch),
                                               chain_id=client.chain_id, contract=contract)
                partials = _asked(log, request, bundle.epoch)
            step = _submit(client, head, partials, signing, bundle.threshold, key_id, bundle.epoch,
                           confirmations, timeout, report)                            # (6)
            step.seq_from = seq
            report.steps.append(step)
            seq = head.seq
    return report


def _submit(client: Any, head: AnchorHead, partials: list[AnchorPartial], signing: BnPrevious, threshold: int,
            key_id: str, epoch: int, confirmations: int, timeout: float, report: AnchorReport) -> AnchorStep:
    message = head.message(client.chain_id, client.address)
    try:
        result = combine(partial_context(key_id, epoch, ANCHOR), message, [p.partial for p in partials],
                         signing.verification_shares, threshold, signing.public_key)
    except KeycouncilError as exc:
        raise ChainError(f"key {key_id!r} entries up to {head.seq - 1}: {exc}") from None
    report.culprits.update(result.culprits)
    started = time.monotonic()
    from_block = client.w3.eth.block_number
    submitted = client.anchor(head, result.signature.to_bytes())
    client.wait_confirmed(head, confirmations, timeout, from_block=max(0, from_block - 1))
    return AnchorStep(0, head.seq, result.used, submitted.tx_hash.hex() if submitted.tx_hash else "",
                      submitted.gas_used, submitted.already_anchored, time.monotonic() - started)


@dataclass(frozen=True)
class Registration:
    """A key registered with the contract."""

    key_id: str
    chain_key_id: bytes
    public_key: bytes
    epoch: int
    already: bool
    gas_used: int | None

    def summary(self) -> str:
        if self.already:
            return f"key {self.key_id} is already registered with this signing key (contract key id {self.chain_key_id.hex()})"
        return (f"key {self.key_id} registered (contract key id {self.chain_key_id.hex()}, epoch {self.epoch}, "
                f"gas {self.gas_used}); signing key {self.public_key.hex()}")


def register_key(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing, client: Any) -> Registration:
    """Register the key's signing key at the empty log, with a proof of possession by `t` members."""
    bundle, signing = _signing(roster, key_id, operator, timing)
    key32, pubkey = chain_key_id(key_id), signing.public_key.to_bytes()
    existing = client.record(key32)
    if existing.registered:
        if existing.pubkey != pubkey:
            raise ChainError(f"key id {key_id!r} is registered with contract {client.address} under ANOTHER "
                             "signing key (squatted on an open registrar?): use another contract")
        return Registration(key_id, key32, pubkey, existing.epoch, True, None)
    head_seq, head_digest = empty_head()
    contract = bytes.fromhex(client.address[2:])
    message = registration_message(client.chain_id, client.address, key_id, pubkey, bundle.commit.roster_digest,
                                   bundle.epoch, head_seq, head_digest)
    with LogClient(roster.members, operator, timing) as log:
        request = pb.SignAnchorRequest(key_id=key_id, purpose=REGISTER, from_seq=head_seq,
                                       chain_id=client.chain_id, contract=contract)
        partials = _asked(log, request, bundle.epoch)
    try:
        result = combine(partial_context(key_id, bundle.epoch, REGISTER), message, [p.partial for p in partials],
                         signing.verification_shares, bundle.threshold, signing.public_key)
    except KeycouncilError as exc:
        raise ChainError(f"registering key {key_id!r}: {exc}") from None
    submitted = client.register(key32, pubkey, bundle.commit.roster_digest, bundle.epoch, head_seq, head_digest,
                                result.signature.to_bytes())
    return Registration(key_id, key32, pubkey, bundle.epoch, False, submitted.gas_used)
