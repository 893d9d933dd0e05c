"""Shared pieces of the chain tests: funded accounts from 0600 key files, a council key with
shares, heads signed by t members, and chain snapshots."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import chain_bls
from web3 import Web3

from council.chain.account import Signer, create_key_file
from council.chain.client import ChainClient
from council.chain.messages import AnchorHead, register_message

T, N = 3, 5


def funded_signer(w3: Web3, folder: Path, name: str) -> Signer:
    """A new account whose key lives in a 0600 file, funded from the node's first unlocked account."""
    signer = create_key_file(folder / f"{name}.key")
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": signer.address, "value": 10**20})
    w3.eth.wait_for_transaction_receipt(tx, timeout=60)
    return signer


@dataclass
class Council:
    """A council signing key split t-of-n, and the head it last anchored."""

    key_id: bytes
    sk: int
    pubkey: bytes
    shares: dict[int, int]
    roster_digest: bytes
    epoch: int = 1
    seq: int = 0
    head: bytes = b"\0" * 32

    @classmethod
    def new(cls) -> Council:
        sk, pubkey = chain_bls.keygen()
        return cls(secrets.token_bytes(32), sk, pubkey, chain_bls.shares(sk, T, N), secrets.token_bytes(32),
                   head=secrets.token_bytes(32))

    def register(self, client: ChainClient) -> None:
        message = register_message(client.chain_id, client.address, self.key_id, self.pubkey, self.roster_digest,
                                   self.epoch, self.seq, self.head)
        client.register(self.key_id, self.pubkey, self.roster_digest, self.epoch, self.seq, self.head,
                        chain_bls.sign(self.sk, message))

    def next_head(self, entries: bytes = b"entry", **changes: object) -> AnchorHead:
        fields: dict[str, object] = dict(key_id=self.key_id, seq=self.seq + 1, prev_head=self.head,
                                         new_head=secrets.token_bytes(32), roster_digest=self.roster_digest,
                                         epoch=self.epoch, entries=entries)
        fields.update(changes)
        return AnchorHead(**fields)  # type: ignore[arg-type]

    def sign(self, client: ChainClient, head: AnchorHead, signers: list[int] | None = None) -> bytes:
        """The combined signature of `signers` (default: the first t members) over `head`."""
        return chain_bls.threshold_sign(self.shares, signers or list(range(1, T + 1)),
                                        head.message(client.chain_id, client.address))

    def accepted(self, head: AnchorHead) -> None:
        self.seq, self.head, self.roster_digest, self.epoch = head.seq, head.new_head, head.roster_digest, head.epoch


def calldata_gas(w3: Web3, tx_hash: bytes) -> int:
    """What the transaction's calldata costs at 16 gas a nonzero byte and 4 a zero byte."""
    data = bytes(w3.eth.get_transaction(tx_hash)["input"])
    return sum(16 if b else 4 for b in data)


def snapshot(w3: Web3) -> str:
    return w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[union-attr,no-any-return]


def revert(w3: Web3, snap: str) -> None:
    w3.provider.make_request("evm_revert", [snap])  # type: ignore[union-attr]


def mine(w3: Web3, blocks: int) -> None:
    for _ in range(blocks):
        w3.provider.make_request("evm_mine", [])  # type: ignore[union-attr]


def wait_until(predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll `predicate` every 0.2 s until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
