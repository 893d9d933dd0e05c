"""The gRPC adapter of a member's recovery release path (council.node.release.service).

Converts protobuf at the edge and maps errors once: a caller whose TLS certificate is not an
operator's of the roster gets PERMISSION_DENIED, an undecodable request INVALID_ARGUMENT; every
policy decision (released, pending, refused with its reason) is a normal DecryptReply.
"""

from __future__ import annotations

import grpc

from council.crypto.decryption import DecryptionShare
from council.errors import KeycouncilError, bounded
from council.node.ceremony_service import status_code
from council.node.log_book import Status
from council.node.log_service import hand_over
from council.node.node import MemberNode
from council.node.profiling import profiled
from council.node.release.service import PENDING, RELEASED, Decision, MemberRecovery, ReplyHook
from council.protocol import tls
from council.protocol.gen import recovery_pb2 as pb
from council.protocol.gen import recovery_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Recovery"].full_name
MAX_REQUEST_BYTES = 1 << 20
_DECISIONS = {RELEASED: pb.DecryptReply.RELEASED, PENDING: pb.DecryptReply.PENDING}


def to_reply(d: Decision) -> pb.DecryptReply:
    """A Decision as its protobuf reply."""
    msg = pb.DecryptReply(decision=_DECISIONS.get(d.decision, pb.DecryptReply.REFUSED),
                          member=d.member, request_id=d.request_id, reason=d.reason,
                          release_statement=d.statement)
    if isinstance(d.reply, DecryptionShare):
        msg.share = d.reply.to_bytes()
    elif d.reply is not None:
        msg.sealed_share = d.reply.sealed
    return msg


class RecoveryServicer(pb_grpc.RecoveryServicer):
    """gRPC adapter over one member's MemberRecovery."""

    def __init__(self, node: MemberNode, reply_hook: ReplyHook | None = None) -> None:
        self.recovery = MemberRecovery(node, reply_hook=reply_hook)
        self.node = node

    def Decrypt(self, request: pb.DecryptRequest, context: grpc.ServicerContext) -> pb.DecryptReply:
        try:
            if len(request.request) > MAX_REQUEST_BYTES:
                raise _too_large(len(request.request))
            if len(request.log_record) > MAX_REQUEST_BYTES:
                raise _too_large(len(request.log_record), "log_record")
            return profiled("Decrypt", lambda: self._decrypt(request, tls.peer_cert(context)))
        except KeycouncilError as exc:
            text = bounded(str(exc))
            self.node.log.event("refused", rpc="Decrypt", code=status_code(exc).name, reason=text)
            context.abort(status_code(exc), text)
            raise  # unreachable: abort raises


    def _decrypt(self, request: pb.DecryptRequest, peer: bytes | None) -> pb.DecryptReply:
        """Take the log record handed over with the request (if any), then decide on the request."""
        status = self._take_record(request.log_record, peer) if request.log_record else ""
        reply = to_reply(self.recovery.decrypt(request.request, peer))
        reply.log_status = status
        return reply

    def _take_record(self, record: bytes, peer: bytes | None) -> str:
        """What `Accept` would do with `record`, from a caller `Accept` would take it from (any
        roster-pinned peer; the release path pins the caller to an operator after this)."""
        if peer is None or peer not in self.node.peer_certs().values():
            return "refused: caller: the client certificate is not in the roster"
        a = hand_over(self.node, record)
        return a.status.value if a.status is not Status.REFUSED else f"refused: {a.rule}: {a.reason[:300]}"


def _too_large(size: int, field: str = "request") -> KeycouncilError:
    from council.errors import DecodeError

    return DecodeError(f"recovery {field}: {size} bytes, at most {MAX_REQUEST_BYTES}")


def register_recovery(server: grpc.Server, node: MemberNode, reply_hook: ReplyHook | None = None) -> None:
    """Add the Recovery service of `node` to a (not yet started) server."""
    pb_grpc.add_RecoveryServicer_to_server(RecoveryServicer(node, reply_hook), server)  # type: ignore[no-untyped-call]
