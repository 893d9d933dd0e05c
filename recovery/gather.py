"""Steps (3)-(4) of recovery: ask every member at once with a deadline, then judge the replies.

Members are asked through an injected `MemberClient` (in-process now, gRPC later). Each answer is
reported to a progress callback as it comes: answered, refused (with the member's reason),
unavailable, or invalid (a share whose proof fails is dropped and named).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from typing import Protocol

from council.crypto.decryption import DecryptionShare, invalid_shares
from council.crypto.kem import KemCiphertext
from council.errors import KeycouncilError, PeerUnavailable, PolicyRefused
from council.protocol.epoch import CouncilEpoch
from council.protocol.recovery_request import RecoveryRequest
from council.protocol.shares import MemberReply, TargetBoundShare, context_of


class MemberClient(Protocol):
    """How the coordinator reaches members (phase 2: the gRPC Decrypt RPC)."""

    def decrypt(self, member_index: int, request: RecoveryRequest) -> MemberReply:
        """Member's reply; raise PeerUnavailable (unreachable, timeout) or PolicyRefused."""
        ...

    def statement(self, member_index: int, request_id: bytes) -> bytes:
        """The release statement (key ‖ signature) the member sent with its share of `request_id`,
        unchecked; b"" if none came (an older member): the ledger then asks for it."""
        ...


@dataclass(frozen=True)
class MemberEvent:
    """One member's outcome: `answered`, `refused`, `unavailable` or `invalid`, and why."""

    index: int
    status: str
    detail: str = ""


Progress = Callable[[MemberEvent], None]


@dataclass
class Gathered:
    """Every member's outcome for one request."""

    replies: dict[int, MemberReply] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    unavailable: dict[int, str] = field(default_factory=dict)
    invalid: dict[int, str] = field(default_factory=dict)

    def record(self, event: MemberEvent, progress: Progress | None) -> None:
        target = {"refused": self.refused, "unavailable": self.unavailable, "invalid": self.invalid}
        if event.status in target:
            target[event.status][event.index] = event.detail
        if progress is not None:
            progress(event)


def ask_members(client: MemberClient, request: RecoveryRequest, members: Sequence[int],
                deadline_seconds: float, progress: Progress | None = None) -> Gathered:
    """Step (3): send the request to every member in parallel; stop waiting at the deadline."""
    gathered = Gathered()
    pool = ThreadPoolExecutor(max_workers=max(1, len(members)), thread_name_prefix="recovery-ask")
    futures: dict[Future[MemberReply], int] = {pool.submit(client.decrypt, i, request): i for i in members}
    try:
        for future in as_completed(futures, timeout=deadline_seconds):
            _collect(futures[future], future, gathered, progress)
    except FuturesTimeout:
        for future, i in sorted(futures.items(), key=lambda kv: kv[1]):
            if i in _seen(gathered):
                continue
            if future.done():
                _collect(i, future, gathered, progress)
            else:
                gathered.record(MemberEvent(i, "unavailable", f"no answer within {deadline_seconds:g} s"),
                                progress)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return gathered


def _seen(g: Gathered) -> set[int]:
    return set(g.replies) | set(g.refused) | set(g.unavailable) | set(g.invalid)


def _collect(index: int, future: Future[MemberReply], gathered: Gathered, progress: Progress | None) -> None:
    try:
        reply = future.result()
    except PolicyRefused as exc:
        return gathered.record(MemberEvent(index, "refused", str(exc)), progress)
    except PeerUnavailable as exc:
        return gathered.record(MemberEvent(index, "unavailable", str(exc)), progress)
    except KeycouncilError as exc:
        return gathered.record(MemberEvent(index, "refused", f"{type(exc).__name__}: {exc}"), progress)
    if reply.index != index:
        return gathered.record(MemberEvent(index, "invalid", f"replied as member {reply.index}"), progress)
    gathered.replies[index] = reply
    gathered.record(MemberEvent(index, "answered"), progress)


def verified_shares(request: RecoveryRequest, council: CouncilEpoch, ciphertext: KemCiphertext,
                    gathered: Gathered, progress: Progress | None = None) -> list[DecryptionShare]:
    """Step (4): check every plain share's DLEQ proof against `Y_i` (one batch; one by one only
    when the batch fails, so each bad share is named); drop and name the bad ones."""
    problems = {i: _share_problem(council, r) for i, r in gathered.replies.items()}
    plain = [r for i, r in sorted(gathered.replies.items())
             if not problems[i] and isinstance(r, DecryptionShare)]
    problems.update(invalid_shares(context_of(request), ciphertext, plain, council.verification_shares))
    good = []
    for index, reply in sorted(gathered.replies.items()):
        if problems[index] or not isinstance(reply, DecryptionShare):
            del gathered.replies[index]
            gathered.record(MemberEvent(index, "invalid", problems[index]), progress)
        else:
            good.append(reply)
    return good


def _share_problem(council: CouncilEpoch, reply: MemberReply) -> str:
    if isinstance(reply, TargetBoundShare):
        return "returned a sealed share to a request without a target"
    if reply.index not in council.verification_shares:
        return f"holds no share in epoch {council.epoch}"
    return ""


def shortfall(council: CouncilEpoch, gathered: Gathered, usable: int) -> str:
    """A message naming who is missing, who refused, who was invalid, and how many are needed."""
    parts = [f"{usable} valid decryption shares of key {council.key_id} epoch {council.epoch}, "
             f"{council.threshold} needed"]
    for what, entries in (("refused", gathered.refused), ("unavailable", gathered.unavailable),
                          ("invalid", gathered.invalid)):
        if entries:
            parts.append(f"{what}: " + ", ".join(f"member {i} ({why})" for i, why in sorted(entries.items())))
    return "; ".join(parts)
