"""The council log as recovery uses it, when the log is anchored on a chain (`recover --chain-rpc`).

Members configured with the chain act on a widening entry (a recovery request, an older-dump
decision) only once it is anchored, so after appending one the coordinator waits until the contract
holds it (a member with an account anchors it by itself, or an operator runs `keycouncil log
anchor`), up to the deadline, before asking for shares. `newest` is the chain's newest announced dump
when it is newer than the members' log's: the chain decides which version is the newest.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from council.chain.audit import chain_log, chain_state
from council.chain.heads import chain_key_id
from council.log import AppHead, OlderDumpAllowed, RecoveryRequested
from council.protocol.errors import RecoveryFailed
from council.protocol.recovery_request import RecoveryRequest
from recovery.log_ledger import LogLedger


class ChainLedger:
    """A `Ledger` that also reads the chain and waits for anchors of what it appends."""

    def __init__(self, inner: LogLedger, client: Any, poll: float = 0.5) -> None:
        inner.carrier = None  # members sign an anchor of what their own log holds: hand the request over first
        self.inner = inner
        self.client = client
        self.poll = poll

    def _wait_anchored(self, key_id: str, seq: int, deadline_seconds: float, what: str) -> str:
        key32 = chain_key_id(key_id)
        give_up = time.monotonic() + deadline_seconds
        while self.client.record(key32).seq <= seq:
            if time.monotonic() >= give_up:
                raise RecoveryFailed(f"{what} (log entry {seq} of key {key_id}) is not anchored on chain after "
                                     f"{deadline_seconds:.0f} s: members act on it only once it is; anchor it with "
                                     "keycouncil log anchor (or give a member an account) and try again")
            time.sleep(self.poll)
        return f"{what} is anchored on chain (contract {self.client.address})"

    def record_request(self, request: RecoveryRequest, deadline_seconds: float) -> str:
        started = time.monotonic()
        line = self.inner.record_request(request, deadline_seconds)
        seq = self._entry_seq(request.key_id, lambda body: isinstance(body, RecoveryRequested)
                              and body.request_id == request.request_id)
        left = max(1.0, deadline_seconds - (time.monotonic() - started))
        return line + "; " + self._wait_anchored(request.key_id, seq, left, "the recovery request")

    def record_releases(self, request: RecoveryRequest, members: Sequence[int],
                        sent: Mapping[int, bytes] | None = None) -> list[str]:
        return self.inner.record_releases(request, members, sent)

    def newest(self, key_id: str, app_id: str) -> AppHead | None:
        head = self.inner.newest(key_id, app_id)
        on_chain = chain_state(key_id, chain_log(self.client, key_id)).newest(app_id)
        if on_chain is not None and (head is None or on_chain.seq > head.seq):
            return on_chain
        return head

    def allow_older(self, key_id: str, body: OlderDumpAllowed, deadline_seconds: float) -> str:
        started = time.monotonic()
        line = self.inner.allow_older(key_id, body, deadline_seconds)
        seq = self._entry_seq(key_id, lambda b: b == body)
        left = max(1.0, deadline_seconds - (time.monotonic() - started))
        return line + "; " + self._wait_anchored(key_id, seq, left, "the --allow-older decision")

    def _entry_seq(self, key_id: str, match: Any) -> int:
        """The sequence number of the newest accepted entry whose body `match`es (as members hold it)."""
        for record in reversed(self.inner.records(key_id)):
            if match(record.entry.body):
                return int(record.entry.seq)
        raise RecoveryFailed(f"key {key_id}: the entry just accepted is not in the log read back")
