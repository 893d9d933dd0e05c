"""Who may start a ceremony (council.node.spec.authorise), each check on its own (issue 3/7,
defect 6): (1) the request's signer must be an operator of a roster the member already trusts —
not of a roster the request itself brings; (2) the TLS client must be that operator."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from node_helpers import Council, direct_ceremony, quiet_node

from council.crypto.messages import Kind
from council.driver.ceremony import run_dkg
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.protocol.ceremony_request import EpochData, SignedRequest, StartRequest
from council.roster import Roster
from council.storage.identity import cert_der

FAST = Timing(call_timeout=20, retry_window=0.3)


def _with_dkg(c: Council) -> Roster:
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r1), c.op().identity.signer)
    direct_ceremony([quiet_node(c.members[n], r1) for n in "abc"], req,
                    cert_der(c.op().identity.tls_cert_pem, "operator"))
    return r1


def test_an_operator_the_member_does_not_trust_is_refused_even_if_the_request_lists_it(
        council: Council, tmp_path: Path) -> None:
    """Mallory signs a re-share of the council's key to a roster of her own; the request's old
    roster is the council's with her added as an operator. That roster is in the request, not
    trusted by the member: refused by the operator check, before anything else looks at it."""
    c = council
    r1 = _with_dkg(c)
    mallory = OperatorFolder.init(tmp_path / "mallory", "mallory", None)
    hers = Roster(1, r1.members[:1], (mallory.card(),))
    claimed = Roster(r1.threshold, r1.members, (*r1.operators, mallory.card()))
    rec = c.store("a").record("k", 0)
    req = SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", hers, claimed,
                                            EpochData(rec.commit, rec.signatures, rec.verification_shares)),
                               mallory.identity.signer)
    node = quiet_node(c.members["a"], r1)
    for peer in (None, cert_der(mallory.identity.tls_cert_pem, "mallory")):
        with pytest.raises(PolicyRefused, match="'mallory' is not an operator of this member's roster"):
            node.deal(req, peer)
    assert not (c.members["a"].path / "ceremonies").exists() or node.status().ceremonies == ()


def test_a_tls_client_that_is_not_the_signing_operator_is_refused(council: Council) -> None:
    """The operator's signature, but member a's TLS identity (trusted by TLS: it is in the roster)."""
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r")
    a, op = c.members["a"].identity, c.op()
    borrowed = OperatorFolder(op.path, op.name, replace(op.identity, tls_key_pem=a.tls_key_pem,
                                                        tls_cert_pem=a.tls_cert_pem))
    report = run_dkg(r, "k", borrowed, FAST)
    assert not report.committed and set(report.missing) == {"a", "b", "c"}, report.lines()
    for why in report.missing.values():
        assert "PERMISSION_DENIED" in why and "the TLS client is not operator" in why, why
    assert c.store("b").key_ids() == []
    node = quiet_node(c.members["b"], r)
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k2", r), op.identity.signer)
    with pytest.raises(PolicyRefused, match="the TLS client is not operator"):
        node.deal(req, cert_der(a.tls_cert_pem, "a"))
