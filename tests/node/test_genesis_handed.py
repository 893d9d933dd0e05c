"""A genesis handed over instead of proposed (decision 138): its own roster is its quorum, so one
operator could write a genesis whose roster adds keys it holds with a threshold they meet, have
them approve it, and hand it to members whose log of the key has not started (right after a DKG,
before the driver appends the real genesis). Members then followed a log run by that roster and
released shares for recovery requests only its keys approved. Now a member refutes a handed
genesis from what it stored; a rival genesis that its own roster alone approved does not halt a
member (any roster-certificate holder could otherwise halt every member with one); a real fork of
the genesis (t members of the stored genesis roster approved both) still does."""

from __future__ import annotations

import secrets

from node_helpers import Council, direct_ceremony, direct_genesis, quiet_node

from council.crypto.messages import Kind
from council.driver.log_client import operator_entry
from council.log import Genesis, LogRecord, LogState, approve
from council.node.log_book import HALTED, Status
from council.node.node import MemberNode
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.roster import Roster
from council.storage.identity import cert_der

KEY = "k"


def _council(c: Council) -> tuple[Roster, list[MemberNode]]:
    c.add_members("a", "b", "c", "w", "x", "y", "z")
    r = c.roster("r", 2, ["a", "b", "c"])
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), KEY, r), c.op().identity.signer)
    nodes = [quiet_node(c.members[n], r) for n in "abc"]
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    return r, nodes


def _genesis(c: Council, node: MemberNode, roster: Roster, approvers: str) -> LogRecord:
    """A genesis of the real key (real public key and transcript) with `roster`, approved by `approvers`."""
    rec = node.store.record(KEY, 0)
    body = Genesis(0, roster, rec.commit.public_key.to_bytes(), rec.commit.transcript_digest)
    entry = operator_entry(c.op(), LogState(KEY), body)
    return LogRecord.of(entry, [approve(c.members[n].identity.signer, entry, b"") for n in approvers])


def _wider(c: Council, real: Roster) -> Roster:
    """The real members plus w, x, y, z, which the operator holds: a majority threshold they meet."""
    return Roster(4, (*real.members, *(c.members[n].card() for n in "wxyz")), real.operators)


def test_a_self_approved_genesis_is_refused_by_every_member_that_holds_the_key(council: Council) -> None:
    c = council
    real, nodes = _council(c)
    fake = _genesis(c, nodes[0], _wider(c, real), "wxyz")
    for node in nodes:
        answer = node.logbook.accept(fake)
        assert answer.status is Status.REFUSED and answer.rule == "member.witness", answer
        assert not node.logbook.state(KEY).started
    direct_genesis(nodes, KEY, c.op())  # the real genesis still goes in
    assert all(n.logbook.state(KEY).roster == real for n in nodes)


def test_a_rival_genesis_approved_by_its_own_roster_alone_does_not_halt(council: Council) -> None:
    c = council
    real, nodes = _council(c)
    direct_genesis(nodes, KEY, c.op())
    fake = _genesis(c, nodes[0], _wider(c, real), "wxyz")
    for node in nodes:
        answer = node.logbook.accept(fake)
        assert answer.status is Status.REFUSED and answer.rule == "member.witness", answer
        assert not (node.logbook.root / HALTED).exists()


def test_a_genesis_handed_to_a_member_that_holds_no_epoch_of_the_key_is_taken(council: Council) -> None:
    """A member that joined later (or a copy kept for audit) cannot refute a genesis: it takes it
    as today (the limit of this check, docs/log-format.md)."""
    c = council
    real, nodes = _council(c)
    stranger = quiet_node(c.members["x"], real)
    record = _genesis(c, nodes[0], real, "ab")
    assert stranger.logbook.accept(record).status is Status.APPENDED


def test_a_genesis_fork_that_the_stored_roster_approved_still_halts(council: Council) -> None:
    """On a member that cannot refute a genesis from its store, a rival counts as fork evidence
    once t members of the stored genesis roster approved it too, and only then."""
    c = council
    real, nodes = _council(c)
    stranger = quiet_node(c.members["x"], real)
    assert stranger.logbook.accept(_genesis(c, nodes[0], real, "ab")).status is Status.APPENDED
    fake = _genesis(c, nodes[0], _wider(c, real), "wxyz")
    answer = stranger.logbook.accept(fake)
    assert answer.status is Status.REFUSED and answer.rule == "member.witness", answer
    assert not (stranger.logbook.root / HALTED).exists()
    rec = nodes[0].store.record(KEY, 0)
    other = Genesis(0, real, rec.commit.public_key.to_bytes(), secrets.token_bytes(32))  # a and b sign two
    entry = operator_entry(c.op(), LogState(KEY), other)
    forked = LogRecord.of(entry, [approve(c.members[n].identity.signer, entry, b"") for n in "ab"])
    answer = stranger.logbook.accept(forked)
    assert answer.status is Status.REFUSED and answer.rule == "log.fork", answer
    assert (stranger.logbook.root / HALTED).exists()
