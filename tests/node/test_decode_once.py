"""Decoding once per ceremony (issue #14): a relayed request and its rosters are checked and decoded
once per exact bytes, and a member's peer certificates once per set of trusted rosters; none of
that lets a changed byte through: a request with another signature, or a damaged roster, is still
refused every time."""

from __future__ import annotations

import secrets
import shutil

import pytest
from node_helpers import Council, direct_ceremony, quiet_node

from council.bundle import BundleError
from council.crypto.messages import EpochCommit, Kind, Signed
from council.driver.query import EpochKey, VerifiedEpoch, _verify_once
from council.errors import AuthenticationFailed
from council.node.node import MemberNode
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.protocol.gen import council_pb2 as pb
from council.roster import Roster, RosterError
from council.storage.identity import cert_der


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
    damaged = text.replace(b"keycouncil-roster/1", b"keycouncil-roster/9")
    assert damaged != text
    for where in ("roster", "request.new_roster"):  # each error names the caller's field
        with pytest.raises(RosterError, match=rf"^{where}\.format"):
            Roster.loads(damaged, where)
    assert Roster.loads(text, "member 'x'.roster") is Roster.loads(text, "roster")  # not keyed by the name


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


def _epoch_reply(node: MemberNode, key_id: str) -> pb.GetEpochReply:
    """What the servicer's GetEpoch answers (council/node/ceremony_service.py)."""
    rec = node.epoch_record(key_id, None)
    body = rec.commit.to_bytes()
    return pb.GetEpochReply(
        key_id=rec.key_id, epoch=rec.epoch, commit=body,
        commit_signatures=[Signed(EpochCommit.KIND, s.member, body, s.signature).to_bytes() for s in rec.signatures],
        roster_json=rec.roster.canonical_bytes(),
        verification_shares=[rec.verification_shares[j].to_bytes() for j in sorted(rec.verification_shares)],
        holds_share=rec.holds_share)


def test_identical_epoch_replies_are_verified_once_and_a_bad_one_is_still_named(council: Council) -> None:
    """The driver verifies one epoch reply per distinct content; a member whose reply differs in
    one Y_j is refused, by name, while the others' identical replies are accepted."""
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r), c.op().identity.signer)
    nodes = [quiet_node(c.members[n], r) for n in "abc"]
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    good = _epoch_reply(nodes[0], "k")
    bad = pb.GetEpochReply()
    bad.CopyFrom(good)
    bad.verification_shares[1] = good.verification_shares[0]
    verified: dict[EpochKey, VerifiedEpoch] = {}
    first = _verify_once(good, "member 'a'", verified)
    second = _verify_once(good, "member 'b'", verified)
    assert len(verified) == 1 and second.bundle.source == "member 'b'" and first.bundle.source == "member 'a'"
    assert second.data == first.data and second.bundle.commit == first.bundle.commit
    with pytest.raises(BundleError, match="member 'c': verification shares do not match the commit"):
        _verify_once(bad, "member 'c'", verified)
    assert len(verified) == 1


def test_trusted_rosters_follow_the_key_store(council: Council) -> None:
    """The trusted rosters are kept between calls, and a key's new epoch (or its folder gone) is
    seen on the very next call: the cache is keyed by each key's newest `epoch.json` stamp."""
    r, req = _request(council)
    c = council
    nodes = [quiet_node(c.members[n], r) for n in "abc"]
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    a = nodes[0]
    c.add_members("d")
    a.served = c.roster("s", 2, ["a", "b", "c", "d"])
    assert [x.digest() for x in a.trusted_rosters()] == [a.served.digest(), r.digest()]
    a.trusted_rosters().clear()  # callers get a copy
    assert len(a.trusted_rosters()) == 2
    r2 = c.roster("r2", 3, ["a", "b", "c"])
    req2 = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k2", r2), c.op().identity.signer)
    s = a.served
    for node in nodes:
        node.served = r2  # a DKG is for the roster a member serves
    direct_ceremony(nodes, req2, cert_der(c.op().identity.tls_cert_pem, "operator"))
    a.served = s
    assert r2.digest() in [x.digest() for x in a.trusted_rosters()]
    shutil.rmtree(a.store.root / "k2")
    assert [x.digest() for x in a.trusted_rosters()] == [a.served.digest(), r.digest()]
