"""A member's view of the CouncilAnchor contract (docs/chain.md, "Configure the members").

Configured by council.node.chain_config (`member serve --chain-rpc ...` or `member.toml`). The chain
stack is imported at module level, never first from the watcher threads (concurrent first imports
of web3 from several threads hung the in-process members of the tests). The watcher
reads the contract's `Anchored` events of every key this member logs, keeps the entries that are
`confirmations` blocks deep, and answers `anchored(entry)` from that cache. A thread refreshes it
every `poll_seconds`; a widening entry not in the cache is looked up again on the chain (only calls
that act on a widening entry wait for that read, and only while the entry is not anchored). While the chain cannot be read the status says "unavailable: ..." (in
`council status` and the member's events, once per change) and it retries; nothing is anchored
meanwhile, so nothing widens. With an account key file the member also submits anchors itself: once
an accepted record carries `t` partial signatures for this deployment and the contract's head is the
entry before it, it combines them and sends `anchor` (a race with another member is success).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from web3 import HTTPProvider, Web3

from council.chain.account import load_signer
from council.chain.client import ChainClient
from council.chain.heads import (
    ANCHOR,
    AnchorPartial,
    chain_key_id,
    partial_context,
    split_entries,
)
from council.errors import ChainError, DecodeError
from council.log import Entry, LogRecord
from council.node.anchor_sign import Deployment
from council.node.chain_config import ChainConfig, scrub, shown_rpc
from council.node.events import EventLog

RPC_TIMEOUT = 5.0


class ChainWatch:
    """The cache of confirmed anchored entries of every key, refreshed from the chain."""

    def __init__(self, config: ChainConfig, events: EventLog, key_ids: Callable[[], list[str]],
                 submit: Callable[[ChainWatch, LogRecord], object] | None = None) -> None:
        self.config = config
        self.events = events
        self.key_ids = key_ids
        self.status = "unavailable: not contacted yet"
        self.version = 0
        self._submit = submit
        self._client: Any = None
        self._lock = threading.RLock()
        self._refreshing = threading.RLock()
        self._anchored: dict[str, dict[int, bytes]] = {}
        self._unanchored: dict[str, dict[int, tuple[bytes, float]]] = {}
        """key id → seq → (digest, when this member accepted it): accepted, no confirmed anchor yet"""
        self._scanned: dict[str, int] = {}
        self._tip: tuple[int, bytes] | None = None
        """(number, hash) of the deepest block the cache was read up to: its hash changing is a
        reorg deeper than the confirmations, and the cache is read again from the start"""
        self.reorgs = 0
        self._last_refresh = 0.0
        self._stop = threading.Event()
        self._queue: queue.Queue[LogRecord] = queue.Queue()
        self._thread: threading.Thread | None = None

    # The chain -----------------------------------------------------------------------------------
    def client(self) -> Any:
        """The ChainClient (connected on first use); ChainError while the chain cannot be read."""
        with self._lock:
            if self._client is None:
                signer = load_signer(self.config.account) if self.config.account is not None else None
                w3 = Web3(HTTPProvider(self.config.rpc, request_kwargs={"timeout": RPC_TIMEOUT}))
                try:
                    self._client = ChainClient(w3, self.config.contract, signer)
                except Exception as exc:  # noqa: BLE001  connection refused, timeouts, bad answers
                    raise ChainError(f"chain {shown_rpc(self.config.rpc)}: {type(exc).__name__}: "
                                     f"{scrub(str(exc), self.config.rpc)}") from None
            return self._client

    @property
    def deployment(self) -> Deployment | None:
        """Chain id and contract once the chain answered."""
        c = self._client
        return None if c is None else Deployment(c.chain_id, bytes.fromhex(c.address[2:]))

    def _set_status(self, status: str) -> None:
        status = scrub(status, self.config.rpc)
        if status != self.status:
            self.status = status
            self.events.event("chain-status", status=status[:300], rpc=shown_rpc(self.config.rpc),
                              contract=self.config.contract)

    def refresh(self) -> None:
        """Read new `Anchored` events of every key, up to the block `confirmations` deep."""
        with self._refreshing:
            self._last_refresh = time.monotonic()
            try:
                client = self.client()
                latest = client.w3.eth.block_number
                deep = latest - self.config.confirmations + 1
                found = self._undo_deep_reorg(client, latest)
                for key_id in self.key_ids():
                    start = self._scanned.get(key_id, 0)
                    if deep < start:
                        continue
                    for event in client.anchored_events(chain_key_id(key_id), start, deep):
                        for entry in split_entries(event.entries):
                            self._anchored.setdefault(key_id, {})[entry.seq] = entry.digest
                            found = True
                    self._scanned[key_id] = deep + 1
                if deep >= 0:
                    self._tip = (deep, bytes(client.w3.eth.get_block(deep)["hash"]))
                if found:
                    self.version += 1
                self._set_status(f"ok (chain id {client.chain_id}, contract {client.address}, block {latest}, "
                                 f"{self.config.confirmations} confirmations)")
            except Exception as exc:  # noqa: BLE001  the chain's availability boundary: web3, HTTP, the node
                with self._lock:
                    self._client = None
                self._set_status(f"unavailable: {type(exc).__name__}: {exc}"[:300])

    def _undo_deep_reorg(self, client: Any, latest: int) -> bool:
        """If the block the cache was read up to is no longer on the chain (a reorg deeper than the
        configured confirmations), forget every cached anchor and read them all again: an anchor
        the new chain lacks must stop counting. True if the cache was dropped."""
        if self._tip is None:
            return False
        number, digest = self._tip
        if number <= latest and bytes(client.w3.eth.get_block(number)["hash"]) == digest:
            return False
        with self._lock:
            dropped = sum(len(v) for v in self._anchored.values())
            self._anchored.clear()
            self._scanned.clear()
            self._tip = None
        self.reorgs += 1
        self.events.event("chain-reorg", block=number, confirmations=self.config.confirmations,
                          dropped=dropped)
        return True

    def anchored(self, entry: Entry) -> bool:
        """True once `entry` is in a confirmed anchor of its key. Not in the cache: the chain is read
        again, once for all callers asking at the same time (a read that started after the question
        answers it), so an anchor that the chain holds is never denied from a stale cache."""
        if self._anchored.get(entry.key_id, {}).get(entry.seq) == entry.digest:
            return True
        asked = time.monotonic()
        with self._refreshing:
            if self._last_refresh < asked:
                self.refresh()
        return self._anchored.get(entry.key_id, {}).get(entry.seq) == entry.digest

    # The thread ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chain-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=RPC_TIMEOUT + 1)

    def offer(self, record: LogRecord) -> None:
        """A record this member accepted: it waits for its anchor (the lag metric), and the member
        anchors it itself when an account is configured."""
        entry = record.entry
        with self._lock:
            if self._anchored.get(entry.key_id, {}).get(entry.seq) != entry.digest:
                self._unanchored.setdefault(entry.key_id, {}).setdefault(entry.seq, (entry.digest, time.monotonic()))
        if self._submit is not None and self.config.account is not None:
            self._queue.put(record)

    def anchor_lags(self) -> dict[str, float]:
        """Per key id: seconds the oldest entry this member accepted since it started has waited for
        a confirmed anchor (0.0: none waits). What `keycouncil_chain_anchor_lag_seconds` reports."""
        now = time.monotonic()
        out: dict[str, float] = {}
        with self._lock:
            for key_id, waiting in self._unanchored.items():
                anchored = self._anchored.get(key_id, {})
                for seq in [s for s, (digest, _) in waiting.items() if anchored.get(s) == digest]:
                    del waiting[seq]
                out[key_id] = now - min(t for _, t in waiting.values()) if waiting else 0.0
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            deadline = time.monotonic() + self.config.poll_seconds
            while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
                try:
                    record = self._queue.get(timeout=min(left, 0.2))
                except queue.Empty:
                    continue
                if self._submit is not None:
                    try:
                        self._submit(self, record)
                    except Exception as exc:  # noqa: BLE001  the chain's boundary: keep watching
                        self.events.event("chain-anchor-failed", key_id=record.entry.key_id, seq=record.entry.seq,
                                          reason=scrub(str(exc), self.config.rpc)[:300])


def partials_of(record: LogRecord, deployment: Deployment, epoch: int) -> list[AnchorPartial]:
    """The partial signatures the record's approvals carry for this deployment and epoch."""
    out = []
    for a in record.approvals:
        if not a.anchor:
            continue
        try:
            p = AnchorPartial.from_bytes(a.anchor)
        except DecodeError:
            continue
        if (p.chain_id, p.contract, p.epoch) == (deployment.chain_id, deployment.contract, epoch):
            out.append(p)
    return out


def anchor_context(key_id: str, epoch: int) -> bytes:
    return partial_context(key_id, epoch, ANCHOR)
