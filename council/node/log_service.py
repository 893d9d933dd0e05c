"""The gRPC servicer of the council log (proto/log.proto): converts at the edge, maps errors.

Any roster-pinned TLS peer may call it: what an entry may do is decided by its author's signature
and the log's rules, checked by `council.node.log_book`. Refusals are answers (status REFUSED with
the rule), not errors; malformed bytes are INVALID_ARGUMENT.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import grpc

from council.chain.heads import ANCHOR, REGISTER
from council.errors import KeycouncilError, PolicyRefused
from council.log import Body, Entry, LogRecord, ShareReleased, sign_entry, sign_release
from council.log.errors import LogDecodeError
from council.log.kinds import Role
from council.log.wire import is_valid_key_id
from council.node.anchor_sign import Deployment, sign_batch, sign_register
from council.node.ceremony_service import status_code
from council.node.log_book import PAGE, Answer, Status
from council.node.node import MemberNode
from council.node.profiling import profiled
from council.protocol import tls
from council.protocol.gen import log_pb2 as pb
from council.protocol.gen import log_pb2_grpc as pb_grpc

T = TypeVar("T")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CouncilLog"].full_name
_PROPOSE = {Status.APPROVED: pb.ProposeReply.APPROVED, Status.PENDING: pb.ProposeReply.PENDING,
            Status.REFUSED: pb.ProposeReply.REFUSED}
_ACCEPT = {Status.APPENDED: pb.AcceptReply.APPENDED, Status.ALREADY: pb.AcceptReply.ALREADY,
           Status.BEHIND: pb.AcceptReply.BEHIND, Status.REFUSED: pb.AcceptReply.REFUSED}


def _key_id(key_id: str) -> str:
    if not is_valid_key_id(key_id):
        raise LogDecodeError(f"key_id: {key_id[:70]!r} is not 1..64 characters of [A-Za-z0-9._-]")
    return key_id


def hand_over(node: MemberNode, record: bytes) -> Answer:
    """A record handed to this member (Accept, or with a Decrypt request): appended if it follows
    this member's log and carries its quorum, then acted on (`after_log_append`)."""
    a: Answer = node.logbook.accept(LogRecord.from_bytes(record))
    if a.status is Status.APPENDED:
        node.after_log_append(record)
    return a


class LogServicer(pb_grpc.CouncilLogServicer):
    """gRPC adapter over one member's LogBook."""

    def __init__(self, node: MemberNode) -> None:
        self.node = node
        self.book = node.logbook

    def _call(self, context: grpc.ServicerContext, method: str, fn: Callable[[], T]) -> T:
        return profiled(method, lambda: self._checked_call(context, method, fn))

    def _checked_call(self, context: grpc.ServicerContext, method: str, fn: Callable[[], T]) -> T:
        peer = tls.peer_cert(context)
        try:
            if peer is None or peer not in self.node.peer_certs().values():
                raise PolicyRefused("client certificate is not in the roster")
            return fn()
        except KeycouncilError as exc:
            self.node.log.event("refused", rpc=method, code=status_code(exc).name, reason=str(exc)[:300])
            context.abort(status_code(exc), str(exc)[:1000])
            raise

    def Propose(self, request: pb.ProposeRequest, context: grpc.ServicerContext) -> pb.ProposeReply:
        def run() -> pb.ProposeReply:
            a = self.book.propose(Entry.from_bytes(request.entry))
            return pb.ProposeReply(status=_PROPOSE[a.status], approval=a.approval.to_bytes() if a.approval else b"",
                                   reason=a.reason, rule=a.rule, next_seq=a.next_seq, rival_entry=a.rival)
        return self._call(context, "Propose", run)

    def Accept(self, request: pb.AcceptRequest, context: grpc.ServicerContext) -> pb.AcceptReply:
        def run() -> pb.AcceptReply:
            a = hand_over(self.node, request.record)
            return pb.AcceptReply(status=_ACCEPT[a.status], next_seq=a.next_seq, reason=a.reason, rule=a.rule)
        return self._call(context, "Accept", run)

    def GetLog(self, request: pb.GetLogRequest, context: grpc.ServicerContext) -> pb.GetLogReply:
        def run() -> pb.GetLogReply:
            key_id = _key_id(request.key_id)
            state = self.book.state(key_id)
            limit = min(request.limit or PAGE, PAGE)
            records = self.book.records(key_id, request.from_seq, limit) if request.from_seq < state.next_seq else []
            return pb.GetLogReply(records=[r.to_bytes() for r in records], next_seq=state.next_seq, head=state.head)
        return self._call(context, "GetLog", run)

    def Author(self, request: pb.AuthorRequest, context: grpc.ServicerContext) -> pb.AuthorReply:
        def run() -> pb.AuthorReply:
            key_id = _key_id(request.key_id)
            state = self.book.state(key_id)
            body: Body
            if request.kind == "release-statement":
                self._released_here(key_id, request.request_id)
                statement = sign_release(self.node.folder.identity.signer, key_id, request.request_id)
                return pb.AuthorReply(statement=statement.member_key + statement.signature)
            if request.kind == "share-released":
                self._released_here(key_id, request.request_id)
                body = ShareReleased(request.request_id, self.node.folder.identity.signer.public_key)
            elif request.kind == "epoch-committed":
                body = self.node.epoch_entry(key_id)
            else:
                raise LogDecodeError(f"kind: a member authors share-released or epoch-committed entries or "
                                     f"release statements on request, not {request.kind[:40]!r}")
            entry = sign_entry(self.node.folder.identity.signer, Role.MEMBER, key_id, state.next_seq,
                               state.head, body)
            return pb.AuthorReply(entry=entry.to_bytes())
        return self._call(context, "Author", run)

    def _released_here(self, key_id: str, request_id: bytes) -> None:
        """A member states only releases it made (its own release log, fsynced before the share left)."""
        if not self.node.released(key_id, request_id):
            raise PolicyRefused(f"this member released no share for request {request_id.hex()[:64]}")

    def SignAnchor(self, request: pb.SignAnchorRequest, context: grpc.ServicerContext) -> pb.SignAnchorReply:
        def run() -> pb.SignAnchorReply:
            key_id = _key_id(request.key_id)
            if len(request.contract) != 20:
                raise LogDecodeError("contract: expected a 20-byte address")
            deployment = Deployment(request.chain_id, bytes(request.contract))
            store = self.node.store
            if request.purpose == ANCHOR:
                _, partial = sign_batch(store, self.book, deployment, key_id, request.from_seq, request.to_seq)
            elif request.purpose == REGISTER:
                partial = sign_register(store, self.book, deployment, key_id, request.from_seq)
            else:
                raise LogDecodeError(f"purpose: expected anchor or register, not {request.purpose[:40]!r}")
            self.node.log.event("anchor-signed", key_id=key_id, purpose=request.purpose, chain_id=request.chain_id,
                                contract=deployment.address, from_seq=request.from_seq, to_seq=request.to_seq)
            return pb.SignAnchorReply(partial=partial.to_bytes())
        return self._call(context, "SignAnchor", run)


def register_log(server: grpc.Server, node: MemberNode) -> None:
    pb_grpc.add_CouncilLogServicer_to_server(LogServicer(node), server)  # type: ignore[no-untyped-call]
