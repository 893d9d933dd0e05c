"""The gRPC servicer of a member: converts protobuf at the edge, pins the peer, maps errors.

Every call first checks that the TLS client presented exactly one of the certificates of the
member's trusted rosters (members and operators). Errors are mapped once, here:
PolicyRefused/AuthenticationFailed → PERMISSION_DENIED, DecodeError → INVALID_ARGUMENT,
StorageError → DATA_LOSS, any other KeycouncilError → FAILED_PRECONDITION.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc

from council.crypto.messages import EpochCommit, Signed
from council.errors import (
    AuthenticationFailed,
    DecodeError,
    KeycouncilError,
    PolicyRefused,
    StorageError,
    bounded,
)
from council.node.auditors import auditor_of
from council.node.node import MemberNode
from council.node.profiling import profiled
from council.node.results import FinalizeResult
from council.protocol import stored, tls
from council.protocol.auditor import READ_ONLY_RPCS
from council.protocol.ceremony_request import SignedRequest
from council.protocol.ceremony_wire import from_request, to_request
from council.protocol.gen import council_pb2 as pb
from council.protocol.gen import council_pb2_grpc as pb_grpc

T = TypeVar("T")

_CODES: tuple[tuple[type[KeycouncilError], grpc.StatusCode], ...] = (
    (PolicyRefused, grpc.StatusCode.PERMISSION_DENIED),
    (AuthenticationFailed, grpc.StatusCode.PERMISSION_DENIED),
    (DecodeError, grpc.StatusCode.INVALID_ARGUMENT),
    (StorageError, grpc.StatusCode.DATA_LOSS),
)


def status_code(exc: KeycouncilError) -> grpc.StatusCode:
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION




def to_messages(items: Sequence[bytes]) -> list[Signed]:
    try:
        return [Signed.from_bytes(b) for b in items]
    except ValueError as exc:
        raise DecodeError(f"relayed message: {exc}") from None


def _bytes(m: Signed | None) -> bytes:
    return m.to_bytes() if m is not None else b""


def _verdicts(d: dict[int, str]) -> list[pb.Verdict]:
    return [pb.Verdict(member=i, reason=why) for i, why in sorted(d.items())]


def _finalize_reply(r: FinalizeResult) -> pb.FinalizeReply:
    return pb.FinalizeReply(committed=r.committed, epoch=r.epoch, holds_share=r.holds_share,
                            erased_previous=r.erased_previous, stored_confirmation=_bytes(r.stored_confirmation),
                            old_shares_erased=r.old_shares_erased)


class MemberServicer(pb_grpc.MemberServicer):
    """gRPC adapter over one MemberNode."""

    def __init__(self, node: MemberNode) -> None:
        self.node = node

    def _call(self, context: grpc.ServicerContext, method: str, fn: Callable[[bytes | None], T]) -> T:
        return profiled(method, lambda: self._checked_call(context, method, fn))

    def _checked_call(self, context: grpc.ServicerContext, method: str, fn: Callable[[bytes | None], T]) -> T:
        peer = tls.peer_cert(context)
        try:
            if peer is None or peer not in self.node.peer_certs().values():
                auditor = auditor_of(self.node.folder.path, peer)
                if auditor is None:
                    raise PolicyRefused("client certificate is not in the roster")
                if method not in READ_ONLY_RPCS:
                    raise PolicyRefused(f"auditor {auditor!r} has a read-only credential: {method} "
                                        "is refused (auditors may call Status and GetEpoch only)")
            return fn(peer)
        except KeycouncilError as exc:
            text = bounded(str(exc))  # an error may quote untrusted input: never all of it
            self.node.log.event("refused", rpc=method, code=status_code(exc).name, reason=text)
            context.abort(status_code(exc), text)
            raise  # unreachable: abort raises

    def Deal(self, request: pb.DealRequest, context: grpc.ServicerContext) -> pb.DealReply:
        return self._call(context, "Deal", lambda peer: pb.DealReply(
            dealing=_bytes(self.node.deal(to_request(request.request), peer))))

    def Check(self, request: pb.CheckRequest, context: grpc.ServicerContext) -> pb.CheckReply:
        return self._call(context, "Check", lambda peer: pb.CheckReply(response=_bytes(
            self.node.check(to_request(request.request), peer, to_messages(request.dealings)))))

    def Output(self, request: pb.OutputRequest, context: grpc.ServicerContext) -> pb.OutputReply:
        def run(peer: bytes | None) -> pb.OutputReply:
            r = self.node.output(to_request(request.request), peer, to_messages(request.responses))
            return pb.OutputReply(commit_signature=_bytes(r.commit_signature), commit=r.commit.to_bytes(),
                                  disqualified=_verdicts(r.disqualified), blamed=_verdicts(r.blamed),
                                  share_problem=r.share_problem or "")
        return self._call(context, "Output", run)

    def Finalize(self, request: pb.FinalizeRequest, context: grpc.ServicerContext) -> pb.FinalizeReply:
        return self._call(context, "Finalize", lambda peer: _finalize_reply(self.node.finalize(
            to_request(request.request), peer, to_messages(request.commit_signatures),
            stored.parse_all(request.stored_confirmations))))

    def CatchUp(self, request: pb.CatchUpRequest, context: grpc.ServicerContext) -> pb.CatchUpReply:
        def run(peer: bytes | None) -> pb.CatchUpReply:
            r = self.node.catch_up(to_request(request.request), peer, request.transcript,
                                   stored.parse_all(request.stored_confirmations))
            return pb.CatchUpReply(epoch=r.epoch, holds_share=r.holds_share, erased_previous=r.erased_previous,
                                   stored_confirmation=_bytes(r.stored_confirmation),
                                   old_shares_erased=r.old_shares_erased)
        return self._call(context, "CatchUp", run)

    def GetTranscript(self, request: pb.GetTranscriptRequest, context: grpc.ServicerContext) -> pb.GetTranscriptReply:
        def run(_peer: bytes | None) -> pb.GetTranscriptReply:
            raw, transcript = self.node.transcript(request.key_id, request.epoch)
            return pb.GetTranscriptReply(request=from_request(SignedRequest.from_bytes(raw)), transcript=transcript)
        return self._call(context, "GetTranscript", run)

    def GetEpoch(self, request: pb.GetEpochRequest, context: grpc.ServicerContext) -> pb.GetEpochReply:
        def run(_peer: bytes | None) -> pb.GetEpochReply:
            rec = self.node.epoch_record(request.key_id, None if request.current else request.epoch)
            body = rec.commit.to_bytes()
            return pb.GetEpochReply(
                key_id=rec.key_id, epoch=rec.epoch, commit=body,
                commit_signatures=[Signed(EpochCommit.KIND, s.member, body, s.signature).to_bytes()
                                   for s in rec.signatures],
                roster_json=rec.roster.canonical_bytes(),
                verification_shares=[rec.verification_shares[j].to_bytes() for j in sorted(rec.verification_shares)],
                holds_share=rec.holds_share,
                stored_confirmations=[m.to_bytes() for m in self.node.confirmations(rec)],
                signing_key=rec.bn254.to_bytes() if rec.bn254 is not None else b"",
                holds_signing_share=self.node.store.holds_bn254_share(rec.key_id, rec.epoch))
        return self._call(context, "GetEpoch", run)

    def GetCeremony(self, request: pb.GetCeremonyRequest, context: grpc.ServicerContext) -> pb.GetCeremonyReply:
        def run(_peer: bytes | None) -> pb.GetCeremonyReply:
            raw, responses, state = self.node.ceremony(request.ceremony_id)
            return pb.GetCeremonyReply(request=from_request(SignedRequest.from_bytes(raw)),
                                       responses=[r.to_bytes() for r in responses], state=state)
        return self._call(context, "GetCeremony", run)

    def Status(self, request: pb.StatusRequest, context: grpc.ServicerContext) -> pb.StatusReply:
        def run(_peer: bytes | None) -> pb.StatusReply:
            s = self.node.status()
            return pb.StatusReply(name=s.name, version=s.version, ceremonies=s.ceremonies, insecure=s.insecure,
                                  served_roster_digest=s.served_roster_digest, chain=s.chain,
                                  keys=[pb.KeyStatus(key_id=k.key_id, epoch=k.epoch, holds_share=k.holds_share,
                                                     public_key=k.public_key, roster_digest=k.roster_digest,
                                                     committed_unix_ms=k.committed_unix_ms,
                                                     member_index=k.member_index,
                                                     signing_public_key=k.signing_public_key,
                                                     holds_signing_share=k.holds_signing_share) for k in s.keys],
                                  recent=[pb.CeremonyState(ceremony_id=c.ceremony_id, state=c.state, key_id=c.key_id,
                                                           epoch=c.epoch, reason=c.reason) for c in s.recent])
        return self._call(context, "Status", run)
