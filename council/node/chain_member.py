"""Wiring a member to the chain anchor: the gate on widening entries, the partial signature in each
approval, and (with an account) anchoring accepted records itself (docs/chain.md)."""

from __future__ import annotations

from council.chain.heads import chain_key_id, entry_head
from council.crypto.bn254.threshold import combine
from council.errors import NotEnoughShares
from council.log import Entry, LogRecord
from council.node.anchor_sign import approval_partial
from council.node.chain_config import ChainConfig, shown_rpc
from council.node.chain_watch import ChainWatch, anchor_context, partials_of
from council.node.node import MemberNode


def attach_chain(node: MemberNode, config: ChainConfig, start: bool = True) -> ChainWatch:
    """From now on the member acts on a widening entry only once it is anchored `confirmations`
    deep, and its approvals carry partial signatures for this deployment."""
    watch = ChainWatch(config, node.log, node.logbook.key_ids, submit=lambda w, r: auto_anchor(node, w, r))
    node.chain = watch
    node.logbook.anchor_gate = watch.anchored
    node.logbook.gate_version = lambda: watch.version
    node.logbook.anchor_partial = lambda entry: _approval_partial(node, watch, entry)
    node.log.event("chain-configured", rpc=shown_rpc(config.rpc), contract=config.contract,
                   confirmations=config.confirmations, submits=config.account is not None)
    if start:
        watch.start()
    return watch


def _approval_partial(node: MemberNode, watch: ChainWatch, entry: Entry) -> bytes:
    deployment = watch.deployment
    return b"" if deployment is None else approval_partial(node.store, deployment, entry)


def auto_anchor(node: MemberNode, watch: ChainWatch, record: LogRecord) -> bool:
    """Anchor `record` if its approvals carry `t` partials of this member's epoch and the contract's
    head is the entry before it; True if this call submitted or found it anchored."""
    entry, deployment = record.entry, watch.deployment
    rec = node.store.current(entry.key_id)
    if deployment is None or rec is None or rec.bn254 is None:
        return False
    partials = partials_of(record, deployment, rec.epoch)
    if len(partials) < rec.commit.threshold:
        return False
    client = watch.client()
    on_chain = client.record(chain_key_id(entry.key_id))
    if not on_chain.registered or on_chain.seq != entry.seq or on_chain.head != entry.previous:
        return False  # not the next head on chain: `keycouncil log anchor` anchors batches
    head = entry_head(entry, rec.commit.roster_digest, rec.epoch)
    try:
        result = combine(anchor_context(entry.key_id, rec.epoch), head.message(deployment.chain_id, deployment.address),
                         [p.partial for p in partials], rec.bn254.verification_shares, rec.commit.threshold,
                         rec.bn254.public_key)
    except NotEnoughShares:
        return False
    submitted = client.anchor(head, result.signature.to_bytes())
    node.log.event("chain-anchored", key_id=entry.key_id, seq=entry.seq, entry=entry.id,
                   already=submitted.already_anchored, gas=submitted.gas_used or 0)
    return True
