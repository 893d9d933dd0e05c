"""Each guard of a member's ceremony checks (council/node/spec.py, the request's signature) on
its own: every test is written so that removing that one check makes it fail (`make mutants`)."""

from __future__ import annotations

import secrets
import shutil

import pytest
from node_helpers import Council, direct_ceremony, direct_genesis, quiet_node

from council.crypto.messages import Kind
from council.driver.operator import OperatorFolder
from council.errors import DecodeError, PolicyRefused
from council.node.node import MemberNode
from council.protocol.ceremony_request import EpochData, SignedRequest, StartRequest
from council.roster import Roster
from council.storage.identity import cert_der

NAMES = ["a", "b", "c"]


def _council(c: Council) -> tuple[Roster, list[MemberNode], bytes]:
    c.add_members(*NAMES)
    r1 = c.roster("r1", 2, NAMES)
    nodes = [quiet_node(c.members[n], r1) for n in NAMES]
    op_cert = cert_der(c.op().identity.tls_cert_pem, "operator")
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r1), c.op().identity.signer)
    direct_ceremony(nodes, req, op_cert)
    direct_genesis(nodes, "k", c.op())
    return r1, nodes, op_cert


def _evil(c: Council) -> OperatorFolder:
    return OperatorFolder.init(c.base / "evil", "evil", None)


def _dkg(roster: Roster, signer: OperatorFolder, key_id: str = "k2") -> SignedRequest:
    return SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), key_id, roster), signer.identity.signer)


def _reshare(c: Council, old: Roster, new: Roster) -> SignedRequest:
    rec = c.store("a").record("k", 0)
    previous = EpochData(rec.commit, rec.signatures, rec.verification_shares)
    return SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", new, old, previous),
                                c.op().identity.signer)


def test_operator_of_a_roster_the_member_does_not_trust_is_refused(council: Council) -> None:
    r1, nodes, _ = _council(council)
    evil = _evil(council)
    foreign = Roster(2, r1.members, (evil.card(),))  # the same members, another operator
    with pytest.raises(PolicyRefused, match="is not an operator of this member's roster"):
        nodes[0].deal(_dkg(foreign, evil), cert_der(evil.identity.tls_cert_pem, "evil"))


def test_tls_peer_that_is_not_the_signing_operator_is_refused(council: Council) -> None:
    r1, nodes, _ = _council(council)
    evil = _evil(council)
    with pytest.raises(PolicyRefused, match="the TLS client is not operator"):
        nodes[0].deal(_dkg(r1, council.op()), cert_der(evil.identity.tls_cert_pem, "evil"))


def test_signer_outside_the_authorising_roster_is_refused(council: Council) -> None:
    r1, nodes, op_cert = _council(council)
    with pytest.raises(PolicyRefused, match="which is not an operator of the council's roster"):
        nodes[0].deal(_dkg(r1, _evil(council)), op_cert)


def test_request_with_a_bad_signature_does_not_decode(council: Council) -> None:
    r1, _, _ = _council(council)
    req = _dkg(r1, council.op())
    forged = SignedRequest(req.request, req.raw, req.operator_key, bytes(len(req.signature)))
    with pytest.raises(DecodeError, match="signature does not verify"):
        SignedRequest.from_bytes(forged.to_bytes())


def test_dkg_for_a_roster_the_member_does_not_serve_is_refused(council: Council) -> None:
    _, nodes, op_cert = _council(council)
    other = council.roster("ab", 2, ["a", "b"])
    with pytest.raises(PolicyRefused, match="a DKG must be for the roster this member serves"):
        nodes[0].deal(_dkg(other, council.op()), op_cert)


def test_dkg_of_a_key_with_a_council_log_is_refused(council: Council) -> None:
    r1, _, op_cert = _council(council)
    shutil.rmtree(council.members["a"].path / "keys" / "k")  # the log stays: the key's history
    node = quiet_node(council.members["a"], r1)
    with pytest.raises(PolicyRefused, match="has a council log already"):
        node.deal(_dkg(r1, council.op(), "k"), op_cert)


def test_reshare_from_a_roster_that_is_not_current_in_the_log_is_refused(council: Council) -> None:
    _, nodes, op_cert = _council(council)
    other = council.roster("r1b", 3, NAMES)
    with pytest.raises(PolicyRefused, match="is not the key's current roster in its log"):
        nodes[0].deal(_reshare(council, other, other), op_cert)


def test_reshare_to_a_roster_not_accepted_in_the_log_is_refused(council: Council) -> None:
    r1, nodes, op_cert = _council(council)
    r2 = council.roster("r2", 3, NAMES)
    with pytest.raises(PolicyRefused, match="is not accepted in the key's council log"):
        nodes[0].deal(_reshare(council, r1, r2), op_cert)
