"""A key bundle is authentic only with `t` distinct valid commit signatures of its roster: one
fewer, a duplicate, or a forged one is refused (council/bundle.py; `make mutants`)."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from node_helpers import Council, direct_ceremony, quiet_node

from council.bundle import BundleError, KeyBundle
from council.crypto.messages import Kind
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.storage.identity import cert_der


def _bundle(c: Council) -> KeyBundle:
    names = ["a", "b", "c", "d", "e"]
    c.add_members(*names)
    roster = c.roster("r1", 3, names)
    nodes = [quiet_node(c.members[n], roster) for n in names]
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", roster), c.op().identity.signer)
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    rec = c.store("a").record("k", 0)
    return KeyBundle(rec.commit, rec.signatures, roster)


def test_t_distinct_valid_signatures_and_not_one_fewer(council: Council) -> None:
    b = _bundle(council)
    assert len(b.signatures) >= 3
    replace(b, signatures=b.signatures[:3]).verify()
    with pytest.raises(BundleError, match="2 valid commit signatures, 3 needed"):
        replace(b, signatures=b.signatures[:2]).verify()
    with pytest.raises(BundleError, match="2 valid commit signatures, 3 needed"):
        replace(b, signatures=(b.signatures[0], b.signatures[1], b.signatures[1])).verify()
    forged = replace(b.signatures[2], signature=bytes(64))
    with pytest.raises(BundleError, match="2 valid commit signatures, 3 needed"):
        replace(b, signatures=(b.signatures[0], b.signatures[1], forged)).verify()
