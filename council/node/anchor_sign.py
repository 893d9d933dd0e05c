"""A member's partial signatures for the chain anchor (docs/chain.md, "Members and the anchor").

A member signs only what is true of its own copy of the log and its own epochs: a head made of
accepted entries of its log (or, in an approval, of the entry it approves), and a registration of
the key's signing key at a point of its log, each with the BN254 share of its current epoch of the
key. The deployment (chain id, contract) is the caller's: a signature for one deployment says
nothing on another, and the message names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.chain.heads import (
    ANCHOR,
    REGISTER,
    AnchorPartial,
    batch_head,
    entry_head,
    partial_context,
    registration_message,
)
from council.chain.messages import AnchorHead
from council.crypto.bn254.curve import Fr
from council.crypto.bn254.threshold import sign_partial
from council.errors import PolicyRefused
from council.log import Entry
from council.log.entry import GENESIS_PREVIOUS
from council.node.keystore import EpochRecord, KeyStore
from council.node.log_book import LogBook


@dataclass(frozen=True)
class Deployment:
    """One CouncilAnchor contract on one chain."""

    chain_id: int
    contract: bytes

    @property
    def address(self) -> str:
        return "0x" + self.contract.hex()


def _signing_epoch(store: KeyStore, key_id: str) -> tuple[EpochRecord, Fr] | None:
    rec = store.current(key_id)
    if rec is None or rec.member_index is None or not store.holds_bn254_share(key_id, rec.epoch):
        return None
    return rec, store.load_bn254_share(key_id, rec.epoch)


def _require(store: KeyStore, key_id: str) -> tuple[EpochRecord, Fr]:
    held = _signing_epoch(store, key_id)
    if held is None:
        raise PolicyRefused(f"this member holds no share of a BN254 signing key of key {key_id!r} "
                            "(made by `ceremony dkg --signing-key` or `ceremony reshare --signing-key`)")
    return held


def _partial(deployment: Deployment, rec: EpochRecord, share: Fr, purpose: str, message: bytes) -> AnchorPartial:
    assert rec.member_index is not None
    p = sign_partial(partial_context(rec.key_id, rec.epoch, purpose), message, rec.member_index, share)
    return AnchorPartial(deployment.chain_id, deployment.contract, rec.epoch, rec.commit.roster_digest, p)


def approval_partial(store: KeyStore, deployment: Deployment, entry: Entry) -> bytes:
    """The partial an approval of `entry` carries: of the head that anchors it right after the entry
    before it; b"" when this member holds no signing share of the key."""
    held = _signing_epoch(store, entry.key_id)
    if held is None:
        return b""
    rec, share = held
    head = entry_head(entry, rec.commit.roster_digest, rec.epoch)
    return _partial(deployment, rec, share, ANCHOR, head.message(deployment.chain_id, deployment.address)).to_bytes()


def sign_batch(store: KeyStore, book: LogBook, deployment: Deployment, key_id: str, from_seq: int,
               to_seq: int) -> tuple[AnchorHead, AnchorPartial]:
    """A partial of the head anchoring accepted entries `from_seq .. to_seq − 1` of this member's log."""
    state = book.state(key_id)
    if not 0 <= from_seq < to_seq <= state.next_seq:
        raise PolicyRefused(f"key {key_id!r}: this member's log has entries 0..{state.next_seq - 1}, "
                            f"not {from_seq}..{to_seq - 1}")
    rec, share = _require(store, key_id)
    entries = [r.entry for r in book.records(key_id, from_seq, to_seq - from_seq)]
    head = batch_head(key_id, entries, rec.commit.roster_digest, rec.epoch)
    return head, _partial(deployment, rec, share, ANCHOR, head.message(deployment.chain_id, deployment.address))


def register_head(book: LogBook, key_id: str, head_seq: int) -> bytes:
    """The digest of the log's point `head_seq` (entries before it): zero for the empty log."""
    state = book.state(key_id)
    if not 0 <= head_seq <= state.next_seq:
        raise PolicyRefused(f"key {key_id!r}: this member's log has {state.next_seq} entries, not {head_seq}")
    return GENESIS_PREVIOUS if head_seq == 0 else book.records(key_id, head_seq - 1, 1)[0].entry.digest


def sign_register(store: KeyStore, book: LogBook, deployment: Deployment, key_id: str,
                  head_seq: int) -> AnchorPartial:
    """A partial of the registration of the key's signing key with the contract at log point `head_seq`."""
    digest = register_head(book, key_id, head_seq)
    rec, share = _require(store, key_id)
    assert rec.bn254 is not None
    message = registration_message(deployment.chain_id, deployment.address, key_id, rec.bn254.public_key.to_bytes(),
                                   rec.commit.roster_digest, rec.epoch, head_seq, digest)
    return _partial(deployment, rec, share, REGISTER, message)
