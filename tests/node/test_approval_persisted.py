"""A member's approval is on disk before it is answered: a member restarted after approving an
entry refuses any other entry at that sequence number, and repeats its approval of the same one."""

from __future__ import annotations

import secrets

from node_helpers import Council, direct_ceremony, direct_genesis, quiet_node

from council.crypto.messages import Kind
from council.driver.log_client import operator_entry
from council.log import RosterProposed
from council.node.log_book import Status
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.storage.identity import cert_der


def test_restarted_member_refuses_a_second_entry_at_an_approved_seq(council: Council) -> None:
    c = council
    names = ["m1", "m2", "m3"]
    c.add_members(*names)
    roster = c.roster("r1", 2, names)
    nodes = [quiet_node(c.members[n], roster) for n in names]
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", roster), c.op().identity.signer)
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    direct_genesis(nodes, "k", c.op())
    state = nodes[0].logbook.state("k")
    first = operator_entry(c.op(), state, RosterProposed(c.roster("r2", 2, ["m1", "m2"])))
    other = operator_entry(c.op(), state, RosterProposed(c.roster("r3", 2, ["m2", "m3"])))
    assert first.seq == other.seq and first.digest != other.digest
    assert nodes[0].logbook.propose(first).status is Status.APPROVED
    restarted = quiet_node(c.members["m1"], roster)  # a new process: only what is on disk survives
    answer = restarted.logbook.propose(other)
    assert answer.status is Status.REFUSED and "already approved" in answer.reason, answer
    again = restarted.logbook.propose(first)
    assert again.status is Status.APPROVED and again.approval is not None
