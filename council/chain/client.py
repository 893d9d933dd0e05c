"""The CouncilAnchor client (web3): deploy, register a key, anchor heads, confirm, read events back.

Works against any JSON-RPC endpoint and web3's in-process tester chain. A refused transaction
shows up in two ways: rejected when the gas is estimated or the transaction sent (Hardhat, or any
node for a call that reverts now), or mined with status 0 (the tester chain, or a race lost after
estimation). Both become one ChainError naming the key id and the contract's reason, unless the
head we wanted is anchored anyway (another member submitted the same anchor): that is success.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from eth_utils.exceptions import ValidationError
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import TxParams

from council.chain.account import Signer
from council.chain.artefact import council_anchor
from council.chain.messages import (
    MAX_ENTRIES,
    PUBKEY_SIZE,
    SIGNATURE_SIZE,
    AnchorHead,
    register_message,
)
from council.crypto.bn254.hash_to_curve import hash_to_g1_hint
from council.errors import ChainError

GAS_MARGIN = 1.25  # headroom over the estimate: the pairing precompile's cost is fixed, calls forward 63/64
LOG_CHUNK = 2000  # blocks per eth_getLogs request (public endpoints cap the range)
_REASON = re.compile(r"CouncilAnchor: ([^'\"\n]+)")

def _refusal_types() -> tuple[type[BaseException], ...]:
    """Errors a refused call or transaction raises: web3's, a node's, and the in-process tester
    chain's own TransactionFailed (eth-tester is a test dependency, hence the optional import)."""
    found: tuple[type[BaseException], ...] = (ContractLogicError, Web3RPCError, ValueError, ValidationError)
    try:
        from eth_tester.exceptions import TransactionFailed
    except ImportError:
        return found
    return (*found, TransactionFailed)


_REFUSED = _refusal_types()
_NONCE_ERRORS = ("nonce too low", "invalid transaction nonce", "nonce has already been used", "already known", "replacement transaction underpriced")


@dataclass(frozen=True)
class KeyRecord:
    """What the contract stores for a key id; an empty pubkey means it is not registered."""

    key_id: bytes
    pubkey: bytes
    seq: int
    head: bytes
    roster_digest: bytes
    epoch: int

    @property
    def registered(self) -> bool:
        return bool(self.pubkey)


@dataclass(frozen=True)
class AnchoredEvent:
    """One accepted anchor as the chain recorded it: the head, the signature and the entries."""

    key_id: bytes
    seq: int
    prev_head: bytes
    new_head: bytes
    roster_digest: bytes
    epoch: int
    signature: bytes
    entries: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes


@dataclass(frozen=True)
class RegisteredEvent:
    """A key's registration as the chain recorded it: the key and the head it was registered at."""

    key_id: bytes
    pubkey: bytes
    roster_digest: bytes
    epoch: int
    head_seq: int
    head_digest: bytes
    block_number: int


@dataclass(frozen=True)
class Prepared:
    """A signed transaction ready to send, and what it is for (for messages and the race check)."""

    what: str
    key_id: bytes
    raw: bytes
    head: AnchorHead | None
    from_block: int
    rebuild: Callable[[], Prepared]  # the same transaction signed again with the current nonce


@dataclass(frozen=True)
class Submitted:
    """The outcome of a send: our transaction mined, or the same head already anchored by another."""

    tx_hash: bytes | None
    block_number: int | None
    gas_used: int | None
    already_anchored: bool


class ChainClient:
    """One CouncilAnchor contract on one chain, seen through web3, with an optional signing account."""

    def __init__(self, w3: Web3, address: str, signer: Signer | None = None) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.signer = signer
        self.contract: Contract = w3.eth.contract(address=self.address, abi=council_anchor().abi)
        self.chain_id: int = w3.eth.chain_id

    # ------------------------------------------------------------------ deploy and read

    @classmethod
    def deploy(cls, w3: Web3, signer: Signer, registrar: str | None = None, timeout: float = 60.0) -> ChainClient:
        """Deploy a new CouncilAnchor; `registrar` (if given) is the only address that may register."""
        art = council_anchor()
        factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        fn = factory.constructor(Web3.to_checksum_address(registrar) if registrar else "0x" + "00" * 20)
        try:
            gas = int(fn.estimate_gas({"from": signer.address}) * GAS_MARGIN)
            tx = fn.build_transaction({"from": signer.address, "gas": gas,
                                       "nonce": w3.eth.get_transaction_count(Web3.to_checksum_address(signer.address), "pending")})
            tx_hash = w3.eth.send_raw_transaction(signer.sign(tx))
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
        except _REFUSED as exc:
            raise ChainError(f"deploying CouncilAnchor failed: {_reason(exc)}") from None
        if receipt["status"] != 1 or not receipt["contractAddress"]:
            raise ChainError(f"deploying CouncilAnchor failed: transaction {tx_hash.hex()} reverted")
        return cls(w3, receipt["contractAddress"], signer)

    def record(self, key_id: bytes, block: int | str = "latest") -> KeyRecord:
        """The contract's record of `key_id` at `block`."""
        pubkey, seq, head, roster, epoch = self._call(self.contract.functions.record(key_id), block)
        return KeyRecord(key_id, bytes(pubkey), seq, bytes(head), bytes(roster), epoch)

    def hash_to_point(self, message: bytes) -> tuple[int, int]:
        """H(message) in G1 as the contract computes it (drand evmnet's hash to curve)."""
        x, y = self._call(self.contract.functions.hash_to_point(message))
        return x, y

    def verify_signature(self, pubkey: bytes, message: bytes, signature: bytes) -> bool:
        """The contract's BLS check of `signature` over `message` under `pubkey` (a view call)."""
        try:
            return bool(self.contract.functions.verify_signature(pubkey, message, signature).call())
        except _REFUSED as exc:
            raise ChainError(f"signature check refused: {_reason(exc)}") from None

    # ------------------------------------------------------------------ register and anchor

    def register(self, key_id: bytes, pubkey: bytes, roster_digest: bytes, epoch: int, head_seq: int,
                 head_digest: bytes, pop_signature: bytes) -> Submitted:
        """Register a new key id (proof of possession: `pop_signature` over `register_message`)."""
        if len(pubkey) != PUBKEY_SIZE or len(pop_signature) != SIGNATURE_SIZE:
            raise ValueError("pubkey is 128 bytes (EIP-197 G2) and the signature 64 bytes (G1)")
        message = register_message(self.chain_id, self.address, key_id, pubkey, roster_digest, epoch, head_seq,
                                   head_digest)
        fn = self.contract.functions.register(key_id, pubkey, roster_digest, epoch, head_seq, head_digest, pop_signature,
                                              list(hash_to_g1_hint(message)))
        return self.send(self._prepare(fn, "registration", key_id, None))

    def prepare_anchor(self, head: AnchorHead, signature: bytes) -> Prepared | Submitted:
        """Check and sign an anchor transaction, or say the head is already anchored (idempotent)."""
        if len(signature) != SIGNATURE_SIZE:
            raise ValueError("a council signature is 64 bytes (G1 x || y)")
        if len(head.entries) > MAX_ENTRIES:
            raise ChainError(f"anchor of key {head.key_id.hex()}: {len(head.entries)} bytes of entries exceed the "
                             f"contract's limit of {MAX_ENTRIES}; anchor in smaller batches")
        already = Submitted(None, None, None, already_anchored=True)
        if self._is_anchored(head, self.w3.eth.block_number):
            return already
        hint = list(hash_to_g1_hint(head.message(self.chain_id, self.address)))
        fn = self.contract.functions.anchor(head.key_id, head.seq, head.prev_head, head.new_head,
                                            head.roster_digest, head.epoch, head.entries, signature, hint)
        try:
            return self._prepare(fn, "anchor", head.key_id, head)
        except _AlreadyAnchored:
            return already

    def anchor(self, head: AnchorHead, signature: bytes) -> Submitted:
        """Submit `head` with the council's combined signature; success if it is (or gets) anchored."""
        prepared = self.prepare_anchor(head, signature)
        return prepared if isinstance(prepared, Submitted) else self.send(prepared)

    def send(self, prepared: Prepared, nonce_retries: int = 2) -> Submitted:
        """Send a prepared transaction and wait for its receipt; a revert is a ChainError unless
        the head it carried is anchored anyway. If another transaction of the same account took
        its nonce (two processes sharing an account), it is estimated and signed again."""
        try:
            tx_hash = self.w3.eth.send_raw_transaction(prepared.raw)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        except _REFUSED as exc:  # refused at send (Hardhat)
            reason = _reason(exc)
            return self._refused(prepared, lambda: reason, nonce_retries)
        if receipt["status"] == 1:
            return Submitted(bytes(tx_hash), receipt["blockNumber"], receipt["gasUsed"], already_anchored=False)
        block = receipt["blockNumber"]
        return self._refused(prepared, lambda: self._replay_reason(prepared, block), nonce_retries)  # mined with status 0

    # ------------------------------------------------------------------ confirmations and events

    def wait_confirmed(self, head: AnchorHead, confirmations: int, timeout: float, from_block: int = 0,
                       poll: float = 0.2, rebroadcast: bytes | None = None) -> AnchoredEvent:
        """Wait until `head` has been anchored for `confirmations` blocks and the contract still
        holds it (or a later head that extends it). The event is looked up again each time, so an
        anchor reorged out is noticed; `rebroadcast` (our raw transaction) is then sent again."""
        deadline = time.monotonic() + timeout
        while True:
            latest = self.w3.eth.block_number
            event = self._anchor_event(head, from_block, latest)
            if event is not None and latest - event.block_number + 1 >= confirmations:
                if self._is_anchored(head, latest, event):
                    return event
            if event is None and rebroadcast is not None:
                self._rebroadcast(rebroadcast)
            if time.monotonic() >= deadline:
                raise ChainError(f"anchor of key {head.key_id.hex()} seq {head.seq} not confirmed by "
                                 f"{confirmations} blocks within {timeout:.0f} s")
            time.sleep(poll)

    def anchored_events(self, key_id: bytes, from_block: int = 0, to_block: int | None = None,
                        seq: int | None = None) -> list[AnchoredEvent]:
        """Every `Anchored` event of `key_id` in the block range, in chain order."""
        last = self.w3.eth.block_number if to_block is None else to_block
        filters: dict[str, Any] = {"key_id": key_id} if seq is None else {"key_id": key_id, "seq": seq}
        out: list[AnchoredEvent] = []
        for start, end in _chunks(from_block, last, LOG_CHUNK):
            for log in self.contract.events.Anchored.get_logs(argument_filters=filters, from_block=start, to_block=end):
                out.append(_event(log))
        return out

    def registration(self, key_id: bytes, from_block: int = 0, to_block: int | None = None) -> RegisteredEvent | None:
        """The `Registered` event of `key_id` in the block range (None if there is none)."""
        last = self.w3.eth.block_number if to_block is None else to_block
        for start, end in _chunks(from_block, last, LOG_CHUNK):
            for log in self.contract.events.Registered.get_logs(argument_filters={"key_id": key_id},
                                                                from_block=start, to_block=end):
                a = log["args"]
                return RegisteredEvent(bytes(a["key_id"]), bytes(a["pubkey"]), bytes(a["roster_digest"]), a["epoch"],
                                       a["head_seq"], bytes(a["head_digest"]), log["blockNumber"])
        return None

    def rebuild_entries(self, key_id: bytes, from_block: int = 0, to_block: int | None = None) -> list[bytes]:
        """The entries of every anchor of `key_id`, in order, checking that each extends the last."""
        events = self.anchored_events(key_id, from_block, to_block)
        for before, after in zip(events, events[1:], strict=False):
            if after.prev_head != before.new_head or after.seq <= before.seq:
                raise ChainError(f"key {key_id.hex()}: anchor at block {after.block_number} does not extend "
                                 f"the previous anchored head")
        return [e.entries for e in events]

    # ------------------------------------------------------------------ internals

    def _signer(self) -> Signer:
        if self.signer is None:
            raise ChainError("no submitting account configured (an account key file is needed to send)")
        return self.signer

    def _call(self, fn: Any, block: int | str = "latest") -> Any:
        try:
            return fn.call(block_identifier=block)
        except _REFUSED as exc:
            raise ChainError(f"contract {self.address} call failed: {_reason(exc)}") from None

    def _prepare(self, fn: Any, what: str, key_id: bytes, head: AnchorHead | None) -> Prepared:
        """Estimate (a revert here is the first way a refusal shows), then build and sign."""
        signer = self._signer()
        from_block = self.w3.eth.block_number
        try:
            gas = int(fn.estimate_gas({"from": signer.address}) * GAS_MARGIN)
        except _REFUSED as exc:
            if head is not None and self._is_anchored(head, self.w3.eth.block_number):
                raise _AlreadyAnchored from None
            raise ChainError(f"{what} of key {key_id.hex()} refused by the contract: {_reason(exc)}") from None
        tx = fn.build_transaction({"from": signer.address, "gas": gas, "chainId": self.chain_id,
                                   "nonce": self.w3.eth.get_transaction_count(Web3.to_checksum_address(signer.address), "pending")})
        return Prepared(what, key_id, signer.sign(tx), head, from_block,
                        lambda: self._prepare(fn, what, key_id, head))

    def _refused(self, prepared: Prepared, why: Callable[[], str], retries: int) -> Submitted:
        head = prepared.head
        if head is not None and self._is_anchored(head, self.w3.eth.block_number):
            return Submitted(None, None, None, already_anchored=True)  # another member won the race
        reason = why()
        if any(s in reason.lower() for s in _NONCE_ERRORS):
            if retries > 0:
                try:
                    again = prepared.rebuild()
                except _AlreadyAnchored:
                    return Submitted(None, None, None, already_anchored=True)
                return self.send(again, retries - 1)
            reason = f"nonce already used by another transaction of {self._signer().address} ({reason})"
        raise ChainError(f"{prepared.what} of key {prepared.key_id.hex()} refused by the contract: {reason}")

    def _replay_reason(self, prepared: Prepared, block: int) -> str:
        """Why a mined transaction reverted: replay it as a call on the state it left behind."""
        try:
            self.w3.eth.call(cast(TxParams, _call_of(prepared.raw)), block_identifier=block)
        except _REFUSED as exc:
            return _reason(exc)
        return "reverted (the same call succeeds now; the state changed in between)"

    def _is_anchored(self, head: AnchorHead, latest: int, event: AnchoredEvent | None = None) -> bool:
        """True if the contract holds `head`, or a later head and an event shows `head` anchored."""
        record = self.record(head.key_id)
        if record.seq == head.seq and record.head == head.new_head:
            return True
        if record.seq <= head.seq:
            return False
        return (event or self._anchor_event(head, 0, latest)) is not None

    def _anchor_event(self, head: AnchorHead, from_block: int, to_block: int) -> AnchoredEvent | None:
        for event in self.anchored_events(head.key_id, from_block, to_block, seq=head.seq):
            if event.new_head == head.new_head and event.prev_head == head.prev_head:
                return event
        return None

    def _rebroadcast(self, raw: bytes) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except _REFUSED:
            pass  # already known, nonce used, or now reverting: the next look at the events decides


class _AlreadyAnchored(Exception):
    """Internal: the head turned out to be anchored while we prepared its transaction."""


def _reason(exc: BaseException) -> str:
    """The contract's revert reason in an error from web3 or a node, else the error's text."""
    text = str(getattr(exc, "message", None) or exc)
    found = _REASON.search(text)
    return found.group(1).strip() if found else text.strip()[:300]


def _call_of(raw: bytes) -> dict[str, Any]:
    """The call (from, to, data, gas) a signed raw transaction makes."""
    from eth_account import Account
    from eth_account.typed_transactions.typed_transaction import TypedTransaction
    from hexbytes import HexBytes

    tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    return {"from": Account.recover_transaction(raw), "to": Web3.to_checksum_address(tx["to"]),
            "data": tx["data"], "gas": tx["gas"]}


def _event(log: Any) -> AnchoredEvent:
    a = log["args"]
    return AnchoredEvent(bytes(a["key_id"]), a["seq"], bytes(a["prev_head"]), bytes(a["new_head"]),
                         bytes(a["roster_digest"]), a["epoch"], bytes(a["signature"]), bytes(a["entries"]),
                         log["blockNumber"], bytes(log["blockHash"]), bytes(log["transactionHash"]))


def _chunks(start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    while start <= end:
        yield start, min(end, start + size - 1)
        start += size
