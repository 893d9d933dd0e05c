"""A member's side of networked recovery: who may ask, which share, which policy, what is logged.

docs/recovery.md, "Networked recovery". For each Decrypt call the member:
(1) pins the caller: its TLS certificate must be an operator's of a roster it trusts;
(2) decodes the request;
(3) finds its own committed epoch the request names (refusing clearly when it holds none, or
    when its share of that epoch was erased after a re-share);
(4) verifies the operator's signature against that epoch's roster;
(5) remembers the request if the policy needs it (waiting period, manual approval);
(6) applies `council.node.release.decide.decide_release` with its committed share, then answers PENDING while
    the waiting period runs or a human has not approved;
(7) appends the decision to `log/releases.jsonl`.
Independent of gRPC: the servicer (council/rpc/recovery_servicer.py) only converts and maps.
"""

from __future__ import annotations

import dataclasses
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from council.crypto.keyid import is_valid_key_id
from council.errors import KeycouncilError, PolicyRefused, StorageError
from council.log import sign_release
from council.log.state import LogState, OpenRequest
from council.node.keystore import EpochRecord
from council.node.node import MemberNode
from council.node.release.cache import EpochCache, EpochStamps
from council.node.release.config import ReleaseConfigFile
from council.node.release.decide import MemberShare, ReleaseFacts, decide_release
from council.node.release.log_admission import LoggedSealer, local_admission
from council.node.release.policy import ReleasePolicy
from council.node.release.records import ReleaseLog, RequestBook
from council.protocol.recovery_request import RecoveryRequest, verify_request
from council.protocol.shares import MemberReply
from council.roster import Roster
from council.storage.identity import cert_der
from dumps.trailers import parse_trailer_bytes

ReplyHook = Callable[[RecoveryRequest, MemberReply], MemberReply]
"""Test-only: rewrite this member's reply before it leaves (a bogus member)."""

RELEASED, PENDING, REFUSED = "released", "pending", "refused"


class CallerRefused(PolicyRefused):
    """The TLS client is not an operator of a roster this member trusts."""


@dataclass(frozen=True)
class Decision:
    """The outcome of one Decrypt call."""

    decision: str
    member: int
    request_id: str
    reply: MemberReply | None = None
    reason: str = ""
    statement: bytes = b""
    """RELEASED: this member's release statement (key ‖ signature, council.log.sign_release), sent with
    the share so that the coordinator records the release in the log without another round."""


class MemberRecovery:
    """The release path of one member node."""

    def __init__(self, node: MemberNode, clock_ms: Callable[[], int] | None = None,
                 reply_hook: ReplyHook | None = None) -> None:
        self.node = node
        folder = node.folder.path
        self.config = ReleaseConfigFile(folder)
        self.log = ReleaseLog(folder, on_sync=self._persisted)
        self.book = RequestBook(folder)
        self.clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self.reply_hook = reply_hook
        self.cache = EpochCache(node)
        self._pending_logged: set[tuple[str, str]] = set()

    def _persisted(self, phase: str) -> None:
        if self.node.after_persist is not None:  # test-only kill points (tests/node/crashing_member.py)
            self.node.after_persist(phase)

    def decrypt(self, request_bytes: bytes, peer: bytes | None) -> Decision:
        """Decide on one call; raises CallerRefused / RequestInvalid (both logged) before (3)."""
        listing = self.cache.listing()  # one look at the key folders for the whole call
        try:
            self._check_caller(peer, listing)                                     # (1)
            request = RecoveryRequest.from_bytes(request_bytes)                   # (2)
        except KeycouncilError as exc:
            self.log.append(decision=REFUSED, reason=str(exc), request_id=None)
            raise
        try:
            return self._decide(request, listing, peer)
        except KeycouncilError as exc:
            return self._refused(request, None, str(exc))

    def _check_caller(self, peer: bytes | None, listing: dict[str, EpochStamps]) -> None:
        if peer is None or peer not in self.cache.operator_certs(listing):
            raise CallerRefused("client certificate is not an operator's certificate of the roster")

    def _decide(self, request: RecoveryRequest, listing: dict[str, EpochStamps], peer: bytes | None) -> Decision:
        epochs = listing.get(request.key_id, ()) if is_valid_key_id(request.key_id) else ()
        rec = self._epoch(request, epochs)                                        # (3)
        config = self.config.current()
        # (4): the operator's signature first, so that nobody but an operator learns more than that
        operator = verify_request(request, rec.roster)
        _caller_signed(request, rec.roster, peer)
        public = _public(request, operator)
        now = self.clock_ms()
        logged, state = self._logged(request, public, now)                         # (4b)
        if config.policy.manual_approval or config.policy.waiting_period_seconds > 0:
            self.book.first_seen(public, now)  # listed by `member requests` for the operator
        seen = logged.accepted_at_ms or now  # (5): the waiting period runs from acceptance here
        approved = self.book.approved(request.id_hex) if config.policy.manual_approval else False
        share = self._share(request, rec, epochs)
        # (6): every rule but the two that only time or a human can satisfy; for those the
        # answer is PENDING, and the coordinator asks again
        checks = _without_waits(config.policy)
        sealer = LoggedSealer(state, local_admission(config.checker))  # the log's sealers, narrowed locally
        reply = decide_release(request, rec.roster, share, checks, config.checker, ReleaseFacts(now, seen),
                               logged=sealer)
        waited_s, period = (now - seen) // 1000, config.policy.waiting_period_seconds
        if now - seen < period * 1000:
            return self._pending(request, share.index, public, f"in its waiting period: known to this member "
                                 f"for {waited_s} s, the waiting period is {period} s")
        if config.policy.manual_approval and not approved:
            return self._pending(request, share.index, public, f"awaits manual approval by member "
                                 f"{self.node.folder.name!r}: keycouncil member approve DIR {request.id_hex}")
        if self.reply_hook is not None:
            reply = self.reply_hook(request, reply)
        if not self.log.claim_release(request.id_hex):  # (7): once per member, even for concurrent calls
            return self._refused(request, share.index, f"this member already released its share for request "
                                                       f"{request.id_hex} (rule release.once)")
        self.log.append(decision=RELEASED, reason="", member=share.index, **public)
        statement = sign_release(self.node.folder.identity.signer, request.key_id, request.request_id)
        return Decision(RELEASED, share.index, request.id_hex, reply, statement=statement.member_key + statement.signature)

    def _logged(self, request: RecoveryRequest, public: dict[str, Any], now: int) -> tuple[OpenRequest, LogState]:
        """(4b) The request is an accepted, unexpired entry of the key's council log that names this
        very dump and target, and this member has not released for it before (docs/log-format.md)."""
        state = self.node.logbook.effective(request.key_id)
        if not state.started:
            raise PolicyRefused(f"key {request.key_id} has no council log here: a recovery request must be an "
                                "accepted entry of the key's log")
        me = self.node.folder.identity.signer.public_key
        verdict = state.may_release(request.request_id, me, now, self.log.released(request.id_hex))
        if not verdict.allowed:
            raise PolicyRefused(f"{verdict.reason} (rule {verdict.rule})")
        logged = state.request(request.request_id)
        assert logged is not None
        body, target = logged.body, request.target_key.to_bytes() if request.target_key is not None else b""
        if (body.app_id, body.version, body.dump_digest.hex(), body.target_key) != (
                request.app_id, request.dump_version, public["dump_digest"], target):
            raise PolicyRefused(f"request {request.id_hex}: the logged request names another dump or target "
                                "than this one (rule release.matches-log)")
        if (logged.operator_key, body.created_unix_ms) != (request.operator_key, request.created_unix_ms):
            raise PolicyRefused(f"request {request.id_hex}: the log accepted this request id from operator key "
                                f"{logged.operator_key.hex()[:16]}…, created at {body.created_unix_ms}; this request "
                                f"is signed by {request.operator_key.hex()[:16]}…, created at "
                                f"{request.created_unix_ms} (rule release.matches-log)")
        return logged, state

    def _epoch(self, request: RecoveryRequest, epochs: EpochStamps) -> EpochRecord:
        key_id, stamps = request.key_id, dict(epochs)
        held = [e for e, _ in epochs]
        if request.epoch not in stamps:
            newest = f"its newest is epoch {held[-1]}" if held else "it holds no epoch of that key"
            raise PolicyRefused(f"this member holds no committed epoch {request.epoch} of key {key_id} "
                                f"({newest})")
        rec = self.cache.record(key_id, request.epoch, stamps[request.epoch])
        if not rec.holds_share:
            current = held[-1]
            why = (f"was erased after the re-share to epoch {current}" if current > request.epoch
                   else "is not held (this member received no share in that epoch)")
            raise PolicyRefused(f"its share of key {key_id} epoch {request.epoch} {why}; it cannot contribute")
        return rec

    def _share(self, request: RecoveryRequest, rec: EpochRecord, epochs: EpochStamps) -> MemberShare:
        if rec.member_index is None:
            raise StorageError(f"key {request.key_id} epoch {request.epoch}: no member index recorded")
        share, public, products = self.cache.share(request.key_id, request.epoch, dict(epochs).get(request.epoch))
        return MemberShare(request.key_id, request.epoch, rec.member_index, share, committed=True,
                           lineage=self.cache.lineage(request.key_id, epochs), public_share=public,
                           times=products)

    def _pending(self, request: RecoveryRequest, index: int, public: dict[str, Any], reason: str) -> Decision:
        kind = (request.id_hex, reason.split(":")[0])
        if kind not in self._pending_logged:  # once per request and kind of wait, not once per poll
            self._pending_logged.add(kind)
            self.log.append(decision=PENDING, reason=reason, member=index, **public)
        return Decision(PENDING, index, request.id_hex, None, reason)

    def _refused(self, request: RecoveryRequest, index: int | None, reason: str) -> Decision:
        public = _public(request, _operator_name(request, self.node.trusted_rosters()))
        self.log.append(decision=REFUSED, reason=reason, member=index, **public)
        return Decision(REFUSED, index or 0, request.id_hex, None, reason)


@lru_cache(maxsize=16)
def _without_waits(policy: ReleasePolicy) -> ReleasePolicy:
    """`policy` without the two rules only time or a human satisfies (step (6)); kept per frozen
    policy value, which every release of an unchanged configuration passes again."""
    return dataclasses.replace(policy, manual_approval=False, waiting_period_seconds=0)


@lru_cache(maxsize=64)
def _stated_digest(trailer: bytes) -> str | None:
    """The dump digest the trailer states, kept for the exact trailer bytes (one dump is asked
    for again and again); for logs only, a release happens after decide_release verified it."""
    try:
        return parse_trailer_bytes(trailer).dump_digest().hex()
    except (KeycouncilError, ValueError):
        return None


def _public(request: RecoveryRequest, operator: str) -> dict[str, Any]:
    """The public fields every log line and request record carries (no secret bytes)."""
    digest = _stated_digest(bytes(request.dump.trailer_bytes))
    return {"request_id": request.id_hex, "operator": operator, "app": request.app_id,
            "dump_version": request.dump_version, "key_id": request.key_id, "epoch": request.epoch,
            "dump_digest": digest, "target_bound": request.target_key is not None}


def _operator_name(request: RecoveryRequest, rosters: list[Roster]) -> str:
    for r in rosters:
        for o in r.operators:
            if o.signing_key == request.operator_key:
                return o.name
    return f"unknown key {request.operator_key.hex()[:16]}…"


def _caller_signed(request: RecoveryRequest, roster: Roster, peer: bytes | None) -> None:
    """(4) The caller is the operator that signed the request: its roster certificate is the TLS
    peer. Another operator (or a member) holding the signed bytes cannot collect the shares with
    its own certificate (decision 138)."""
    card = next((o for o in roster.operators if o.signing_key == request.operator_key), None)
    if card is None or peer is None or not hmac.compare_digest(peer, _operator_der(card.tls_cert)):
        name = card.name if card is not None else request.operator_key.hex()[:16] + "…"
        raise CallerRefused(f"request {request.id_hex} is signed by operator {name}, and this caller's certificate "
                            "is not that operator's (rule release.caller-signed)")


@lru_cache(maxsize=64)
def _operator_der(pem: str) -> bytes:
    """An operator card's certificate in DER, converted once per certificate (every release asks)."""
    return cert_der(pem, "an operator's certificate in the roster")
