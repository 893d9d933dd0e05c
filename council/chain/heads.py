"""How a key's council log maps onto CouncilAnchor heads, and the partial signatures members give.

Pure: no I/O. The contract's key id is `sha256("keycouncil-chain-key-id" ‖ key id)`; its `seq` counts
the log entries anchored (the log's next sequence number after the head), so a key registered at
the empty log (seq 0, head 32 zero bytes, the genesis entry's `previous`) has every entry on chain.
A head anchors the entries `seq_from .. seq_to − 1`: `prev_head` is the digest of entry
`seq_from − 1` (zero for the empty log), `new_head` that of entry `seq_to − 1`, and `entries` each
entry's canonical bytes after its length as 4 big-endian bytes (`split_entries` reads them back).

A member's partial signature travels as an `AnchorPartial`: the deployment (chain id, contract) and
the committee (epoch, roster digest) it signed for, and the BN254 partial with its DLEQ proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from council.chain.messages import AnchorHead, register_message
from council.crypto.bn254.threshold import PARTIAL_LEN, PartialSignature
from council.crypto.codec import Reader, Writer
from council.errors import DecodeError
from council.log import Entry
from council.log.entry import GENESIS_PREVIOUS

KEY_ID_DOMAIN: Final = b"keycouncil-chain-key-id"
PARTIAL_FORMAT: Final = "keycouncil-anchor-partial/1"
ANCHOR: Final = "anchor"
REGISTER: Final = "register"


def chain_key_id(key_id: str) -> bytes:
    """The contract's 32-byte key id of a council key id."""
    return hashlib.sha256(KEY_ID_DOMAIN + key_id.encode()).digest()


def partial_context(key_id: str, epoch: int, purpose: str) -> bytes:
    """What a partial's DLEQ proof is bound to: key, epoch and purpose (anchor or register)."""
    return Writer().text("keycouncil-chain").text(purpose).text(key_id).uint(epoch, 8).getvalue()


def batch_head(key_id: str, entries: Sequence[Entry], roster_digest: bytes, epoch: int) -> AnchorHead:
    """The head anchoring `entries` (consecutive, the first linking to the anchored head)."""
    if not entries:
        raise ValueError("a head anchors at least one entry")
    for before, after in zip(entries, entries[1:], strict=False):
        if after.seq != before.seq + 1 or after.previous != before.digest:
            raise ValueError(f"entries {before.seq} and {after.seq} are not consecutive in one log")
    first, last = entries[0], entries[-1]
    return AnchorHead(chain_key_id(key_id), last.seq + 1, first.previous, last.digest, roster_digest, epoch,
                      b"".join(len(b).to_bytes(4, "big") + b for b in (e.to_bytes() for e in entries)))


def entry_head(entry: Entry, roster_digest: bytes, epoch: int) -> AnchorHead:
    """The head anchoring one entry right after the one before it (what each approval signs)."""
    return batch_head(entry.key_id, [entry], roster_digest, epoch)


def split_entries(blob: bytes) -> list[Entry]:
    """The entries of an anchor's `entries` bytes (DecodeError if they do not parse exactly)."""
    out, at = [], 0
    while at < len(blob):
        if at + 4 > len(blob):
            raise DecodeError("anchored entries: truncated length")
        size = int.from_bytes(blob[at : at + 4], "big")
        if size == 0 or at + 4 + size > len(blob):
            raise DecodeError(f"anchored entries: an entry of {size} bytes does not fit")
        out.append(Entry.from_bytes(blob[at + 4 : at + 4 + size]))
        at += 4 + size
    return out


def empty_head() -> tuple[int, bytes]:
    """(seq, digest) of the empty log: where a key is registered so that every entry is anchored."""
    return 0, GENESIS_PREVIOUS


def registration_message(chain_id: int, contract: str, key_id: str, pubkey: bytes, roster_digest: bytes,
                         epoch: int, head_seq: int, head_digest: bytes) -> bytes:
    """`register_message` for a council key id."""
    return register_message(chain_id, contract, chain_key_id(key_id), pubkey, roster_digest, epoch,
                            head_seq, head_digest)


@dataclass(frozen=True)
class AnchorPartial:
    """One member's partial signature of a head (or of a registration) for one deployment."""

    chain_id: int
    contract: bytes
    epoch: int
    roster_digest: bytes
    partial: PartialSignature

    def __post_init__(self) -> None:
        if len(self.contract) != 20 or len(self.roster_digest) != 32:
            raise ValueError("a contract address is 20 bytes and a roster digest 32")

    @property
    def index(self) -> int:
        return self.partial.index

    def to_bytes(self) -> bytes:
        return (Writer().text(PARTIAL_FORMAT).uint(self.chain_id, 8).blob(self.contract).uint(self.epoch, 8)
                .blob(self.roster_digest).blob(self.partial.to_bytes()).getvalue())

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "anchor partial") -> AnchorPartial:
        r = Reader(data, field)
        if r.text("format") != PARTIAL_FORMAT:
            raise DecodeError(f"{field}: format is not {PARTIAL_FORMAT!r}")
        chain_id, contract, epoch = r.uint(8, "chain_id"), r.blob("contract"), r.uint(8, "epoch")
        roster, raw = r.blob("roster_digest"), r.blob("partial")
        r.end()
        if len(contract) != 20 or len(roster) != 32 or len(raw) != PARTIAL_LEN:
            raise DecodeError(f"{field}: wrong field lengths")
        return cls(chain_id, contract, epoch, roster, PartialSignature.from_bytes(raw, f"{field}.partial"))
