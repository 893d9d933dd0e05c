"""The messages the council signs for the CouncilAnchor contract, byte for byte as it computes them.

Pure: no I/O. Each is keccak256 of the ABI encoding of a domain tag and the fields; the contract
hashes the resulting 32 bytes to G1 (drand evmnet's ciphersuite) before checking the signature.
eth_abi and eth_utils (about 0.5 s of CPU to import, with pydantic) are imported on the first
message computed, not with this module: every member imports it, few anchor (decision 114).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ANCHOR_TAG = "KEYCOUNCIL-V1-ANCHOR"
REGISTER_TAG = "KEYCOUNCIL-V1-REGISTER"
MAX_ENTRIES = 16384  # bytes of log entries one anchor carries (CouncilAnchor.vy MAX_ENTRIES)
PUBKEY_SIZE = 128  # EIP-197 G2: x_im, x_re, y_im, y_re, 32 bytes each
SIGNATURE_SIZE = 64  # G1: x, y
UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class AnchorHead:
    """One head the council anchors: it extends `prev_head` to `new_head` with `entries`."""

    key_id: bytes
    seq: int
    prev_head: bytes
    new_head: bytes
    roster_digest: bytes
    epoch: int
    entries: bytes

    def __post_init__(self) -> None:
        for name in ("key_id", "prev_head", "new_head", "roster_digest"):
            _check_bytes32(name, getattr(self, name))
        for name in ("seq", "epoch"):
            _check_uint64(name, getattr(self, name))
        if not isinstance(self.entries, bytes):
            raise TypeError("entries must be bytes")

    def message(self, chain_id: int, contract: str) -> bytes:
        """The 32 bytes the council signs for this head on `contract` at `chain_id`."""
        return anchor_message(chain_id, contract, self.key_id, self.seq, self.prev_head, self.new_head,
                              self.roster_digest, self.epoch, keccak(self.entries))


def anchor_message(chain_id: int, contract: str, key_id: bytes, seq: int, prev_head: bytes,
                   new_head: bytes, roster_digest: bytes, epoch: int, entries_hash: bytes) -> bytes:
    """keccak256(abi.encode(tag, chain id, contract, key id, seq, prev, new, roster, epoch, keccak(entries)))."""
    return keccak(_abi_encode(
        ["string", "uint256", "address", "bytes32", "uint64", "bytes32", "bytes32", "bytes32", "uint64", "bytes32"],
        [ANCHOR_TAG, chain_id, _address(contract), key_id, seq, prev_head, new_head,
         roster_digest, epoch, entries_hash]))


def register_message(chain_id: int, contract: str, key_id: bytes, pubkey: bytes, roster_digest: bytes,
                     epoch: int, head_seq: int, head_digest: bytes) -> bytes:
    """The message whose signature proves possession of the key at registration."""
    return keccak(_abi_encode(
        ["string", "uint256", "address", "bytes32", "bytes", "bytes32", "uint64", "uint64", "bytes32"],
        [REGISTER_TAG, chain_id, _address(contract), key_id, pubkey, roster_digest, epoch,
         head_seq, head_digest]))


def drand_round_message(round_number: int) -> bytes:
    """drand's unchained message for a round: keccak256 of the round as 8 big-endian bytes."""
    _check_uint64("round", round_number)
    return keccak(round_number.to_bytes(8, "big"))


def keccak(data: bytes) -> bytes:
    """keccak256 of `data` (eth_utils', imported on first use)."""
    from eth_utils.crypto import keccak as eth_keccak

    return eth_keccak(data)


def _abi_encode(types: Sequence[str], values: Sequence[object]) -> bytes:
    """`abi.encode` of `values` as `types` (eth_abi's, imported on first use)."""
    from eth_abi.abi import encode

    return encode(list(types), list(values))


def _address(contract: str) -> bytes:
    """The 20 bytes of a hex contract address (eth_utils' `to_canonical_address`)."""
    from eth_utils.address import to_canonical_address

    return bytes(to_canonical_address(contract))


def _check_bytes32(name: str, value: object) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes")


def _check_uint64(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= UINT64_MAX:
        raise ValueError(f"{name} must be an integer in [0, 2^64)")
