"""A member killed in the middle of erasing a share (found by `make chaos`, seed 1000: a leaver
SIGKILLed between zeroing `share.sealed` and unlinking it kept a zeroed file under a record that
still said it held the share, and then refused to start). Now the record says "erased" first and
a restart finishes the erasure: the member starts, and no share material is left."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from node_helpers import Council, direct_ceremony, quiet_node

from council.crypto.messages import Kind
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.storage import files
from council.storage.identity import cert_der
from tools.chaos import invariants


class Crash(Exception):
    """Stands for SIGKILL at this point."""


@pytest.mark.parametrize("at", ["before-record", "after-record", "after-zeroing"])
def test_a_crash_mid_erase_leaves_a_member_that_starts_and_holds_nothing(
        council: Council, monkeypatch: pytest.MonkeyPatch, at: str) -> None:
    c = council
    names = ["a", "b", "c"]
    c.add_members(*names)
    r1 = c.roster("r1", 2, names)
    nodes = [quiet_node(c.members[n], r1) for n in names]
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r1), c.op().identity.signer)
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    share = c.members["a"].path / "keys/k/0/share.sealed"
    real_unlink, real_write = os.unlink, files.write_atomic

    def unlink(path: object, *a: object, **k: object) -> None:
        if at == "after-zeroing" and Path(str(path)) == share:
            raise Crash("killed after the zeros were written")
        real_unlink(path, *a, **k)  # type: ignore[arg-type]

    def write(path: Path, data: bytes, secret: bool = False) -> None:
        if at == "before-record" and path.name == "epoch.json":
            raise Crash("killed before the record was rewritten")
        real_write(path, data, secret)
    def remove(path: Path) -> None:
        raise Crash("killed after the record was rewritten, before the share was touched")
    if at == "after-record":
        monkeypatch.setattr("council.node.keystore.remove_durably", remove)
    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr("council.storage.folders.write_atomic", write)
    with pytest.raises(Crash):
        c.store("a").erase_share("k", 0)
    monkeypatch.undo()
    restarted = quiet_node(c.members["a"], r1)
    restarted.startup_check()  # the member starts
    if at == "before-record":  # nothing was erased yet: the share is whole and still held
        assert c.store("a").load_share("k", 0) is not None
    else:
        assert not c.store("a").record("k", 0).holds_share
        assert invariants.share_files("a", c.members["a"]) == []  # not even a temporary copy
        assert not share.exists()  # the erasure was finished at start (whole or zeroed, it is gone)
    assert invariants.erased({"a": c.members["a"]}) == []
    assert invariants.whole("a", c.members["a"]) == []
