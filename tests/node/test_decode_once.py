"""Decoding once per ceremony (issue #14): a relayed request and its rosters are checked and decoded
once per exact bytes, and a member's peer certificates once per set of trusted rosters; none of
that lets a changed byte through: a request with another signature, or a damaged roster, is still
refused every time."""

from __future__ import annotations

import secrets

import pytest
from node_helpers import Council, quiet_node

from council.crypto.messages import Kind
from council.errors import AuthenticationFailed
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.roster import Roster, RosterError


def _request(c: Council) -> tuple[Roster, SignedRequest]:
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    return r, SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r), c.op().identity.signer)


def test_the_same_request_bytes_decode_to_the_request_already_checked(council: Council) -> None:
    _, req = _request(council)
    first = SignedRequest.parse(req.raw, req.operator_key, req.signature)
    assert SignedRequest.parse(req.raw, req.operator_key, req.signature) is first
    assert SignedRequest.from_bytes(req.to_bytes()).request is first.request
    assert first.request == req.request


def test_a_request_with_another_signature_is_refused_after_the_good_one_was_decoded(council: Council) -> None:
    _, req = _request(council)
    SignedRequest.parse(req.raw, req.operator_key, req.signature)
    bad = bytes([req.signature[0] ^ 1]) + req.signature[1:]
    for _ in range(2):  # a failure is never remembered as a success, nor the other way round
        with pytest.raises(AuthenticationFailed, match="ceremony request"):
            SignedRequest.parse(req.raw, req.operator_key, bad)
    other = req.raw[:-1] + bytes([req.raw[-1] ^ 1])
    with pytest.raises((AuthenticationFailed, ValueError)):
        SignedRequest.parse(other, req.operator_key, req.signature)


def test_rosters_load_once_and_a_damaged_one_is_refused_each_time(council: Council) -> None:
    r, _ = _request(council)
    text = r.canonical_bytes()
    assert Roster.loads(text, "roster") is Roster.loads(text, "roster")
    assert Roster.loads(text, "roster") == r and Roster.loads(text, "roster").digest() == r.digest()
    damaged = text.replace(b'"threshold":2', b'"threshold":9')
    for _ in range(2):
        with pytest.raises(RosterError, match="threshold"):
            Roster.loads(damaged, "roster")


def test_peer_certificates_follow_the_trusted_rosters(council: Council) -> None:
    r, _ = _request(council)
    c = council
    node = quiet_node(c.members["a"], r)
    certs = node.peer_certs()
    assert node.peer_certs() == certs
    node.peer_certs().clear()  # callers get a copy: the node's own stays whole
    assert node.peer_certs() == certs
    c.add_members("d")
    wider = c.roster("r2", 2, ["a", "b", "c", "d"])
    node.served = wider
    assert wider.members[3].signing_key.hex() in node.peer_certs()
