"""A signed ceremony request to and from its protobuf message (both the member and the driver)."""

from __future__ import annotations

from council.protocol.ceremony_request import SignedRequest
from council.protocol.gen import council_pb2 as pb


def to_request(msg: pb.CeremonyRequest) -> SignedRequest:
    """Parse and check the operator's signature on a relayed request."""
    return SignedRequest.parse(msg.body, msg.operator_key, msg.signature)


def from_request(req: SignedRequest) -> pb.CeremonyRequest:
    return pb.CeremonyRequest(body=req.raw, signature=req.signature, operator_key=req.operator_key)
