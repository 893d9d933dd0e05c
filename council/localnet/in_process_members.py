"""An in-process MemberClient: members that apply `decide_release` to their own shares.

For tests, demos and rehearsals; phase 2 adds the gRPC client with the same interface. Failure
injection: members can be down (PeerUnavailable), slow (never answer) or bogus (a wrong share).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from council.crypto.decryption import DecryptionShare, create_share, seal_to_target
from council.crypto.group import G, Scalar
from council.errors import PeerUnavailable
from council.node.release.decide import MemberShare, ReleaseFacts, decide_release
from council.node.release.policy import ReleasePolicy
from council.protocol.dumpref import verify_reference
from council.protocol.recovery_request import RecoveryRequest
from council.protocol.shares import MemberReply, TargetBoundShare, context_of
from council.roster import Roster
from dumps.evidence import EvidenceChecker


@dataclass
class LocalMemberClient:
    """Members `index → share` of one epoch, each deciding with the same policy and clock."""

    roster: Roster
    key_id: str
    epoch: int
    shares: Mapping[int, Scalar]
    policy: ReleasePolicy = field(default_factory=ReleasePolicy)
    evidence_checker: EvidenceChecker | None = None
    clock_ms: Callable[[], int] = lambda: 0
    down: frozenset[int] = frozenset()
    bogus: frozenset[int] = frozenset()
    slow: frozenset[int] = frozenset()
    approved: frozenset[bytes] = frozenset()
    first_seen: dict[tuple[int, bytes], int] = field(default_factory=dict)
    _release: threading.Event = field(default_factory=threading.Event)

    def decrypt(self, member_index: int, request: RecoveryRequest) -> MemberReply:
        if member_index in self.down or member_index not in self.shares:
            raise PeerUnavailable(f"member {member_index}: connection refused")
        if member_index in self.slow:
            self._release.wait(30)
            raise PeerUnavailable(f"member {member_index}: gave up")
        now = self.clock_ms()
        seen = self.first_seen.setdefault((member_index, request.request_id), now)
        state = MemberShare(self.key_id, self.epoch, member_index, self.shares[member_index])
        reply = decide_release(request, self.roster, state, self.policy, self.evidence_checker,
                               ReleaseFacts(now, seen, request.request_id in self.approved))
        if member_index in self.bogus:
            return _corrupted(request, reply, self.shares[member_index])
        return reply

    def statement(self, member_index: int, request_id: bytes) -> bytes:
        """In-process members keep no release log and sign no statements."""
        return b""

    def close(self) -> None:
        """Let slow members' threads finish."""
        self._release.set()


def _corrupted(request: RecoveryRequest, reply: MemberReply, share: Scalar) -> MemberReply:
    """A bogus member: `D_i + G` with the honest proof (sealed to the target if one is named)."""
    if isinstance(reply, DecryptionShare):
        return DecryptionShare(reply.index, reply.d + G, reply.proof)
    if request.target_key is None:
        raise ValueError("a sealed reply needs a target key")
    kem_ct = verify_reference(request.dump).header.kem()
    honest = create_share(context_of(request), kem_ct, verify_reference(request.dump).header.label(),
                          reply.index, share)
    bad = DecryptionShare(honest.index, honest.d + G, honest.proof)
    return TargetBoundShare(reply.index, seal_to_target(bad, request.target_key, context_of(request), kem_ct))
