"""Store before erase, share before record: a member that fails (crashes) in the middle of storing
a new epoch keeps its old share whole, and never shows an epoch as complete without its share
(council/node/node.py `_commit`, council/node/keystore.py `store`; `make mutants`)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from node_helpers import Council, direct_ceremony, direct_genesis, direct_log_for, quiet_node

from council.crypto.messages import Kind
from council.log import RosterProposed
from council.node import keystore
from council.protocol.ceremony_request import EpochData, SignedRequest, StartRequest
from council.storage.identity import cert_der

NAMES = ["a", "b", "c"]


class Crash(Exception):
    """Stands for the process dying at this point."""


def _reshare_until_output(c: Council) -> tuple[SignedRequest, list[object], bytes]:
    c.add_members(*NAMES)
    r1, r2 = c.roster("r1", 2, NAMES), c.roster("r2", 3, NAMES)
    op_cert = cert_der(c.op().identity.tls_cert_pem, "operator")
    nodes = [quiet_node(c.members[n], r1) for n in NAMES]
    dkg = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r1), c.op().identity.signer)
    direct_ceremony(nodes, dkg, op_cert)
    direct_genesis(nodes, "k", c.op())
    direct_log_for(nodes, "k", RosterProposed(r2), c.op())
    rec = c.store("a").record("k", 0)
    req = SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", r2, r1,
                                            EpochData(rec.commit, rec.signatures, rec.verification_shares)),
                               c.op().identity.signer)
    dealings = [m for n in nodes if (m := n.deal(req, op_cert)) is not None]
    responses = [m for n in nodes if (m := n.check(req, op_cert, dealings)) is not None]
    commits = [o.commit_signature for n in nodes if (o := n.output(req, op_cert, responses)).commit_signature]
    return req, commits, op_cert


def _crash_on(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = keystore.write_atomic

    def write(path: Path, data: bytes, secret: bool = False) -> None:
        if path.name == name and path.parent.name == "1":
            raise Crash(f"killed while writing {path}")
        real(path, data, secret)
    monkeypatch.setattr(keystore, "write_atomic", write)
    monkeypatch.setattr("council.storage.folders.write_atomic", write)


@pytest.mark.parametrize("at", ["share.sealed", "request.bin", "transcript.bin", "epoch.json"])
def test_a_crash_while_storing_the_new_epoch_keeps_the_old_share(council: Council, monkeypatch: pytest.MonkeyPatch,
                                                                 at: str) -> None:
    req, commits, op_cert = _reshare_until_output(council)
    node = quiet_node(council.members["a"], council.store("a").record("k", 0).roster)
    _crash_on(monkeypatch, at)
    with pytest.raises(Crash):
        node.finalize(req, op_cert, commits)
    store = council.store("a")
    assert store.epochs("k") == [0], "an epoch is complete only once its record is written, last"
    assert store.load_share("k", 0) is not None  # the old share is whole until the new one is stored


def test_the_epoch_record_is_written_after_the_share(council: Council, monkeypatch: pytest.MonkeyPatch) -> None:
    req, commits, op_cert = _reshare_until_output(council)
    order: list[str] = []
    real = keystore.write_atomic

    def write(path: Path, data: bytes, secret: bool = False) -> None:
        if path.parent.name == "1":
            order.append(path.name)
        real(path, data, secret)
    monkeypatch.setattr(keystore, "write_atomic", write)
    monkeypatch.setattr("council.storage.folders.write_atomic", write)
    quiet_node(council.members["a"], council.store("a").record("k", 0).roster).finalize(req, op_cert, commits)
    assert order[0] == "share.sealed" and order[-1] == "epoch.json", order
