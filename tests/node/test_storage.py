"""The data folder: sealed secrets, atomic writes, and shares that refuse to be misplaced.

A share file from another member, key or epoch is refused by name; a corrupted share file stops
`member serve` with a clear error (real processes).
"""

from __future__ import annotations

import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from node_helpers import (
    ROOT,
    Council,
    direct_ceremony,
    direct_genesis,
    direct_log_for,
    env,
    quiet_node,
)

from council.crypto.messages import Kind
from council.errors import StorageError
from council.log import RosterProposed
from council.node.folder import FolderError, MemberFolder, read_passphrase
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.roster import Roster
from council.storage.files import write_atomic
from council.storage.identity import cert_der


def _dkg(c: Council, roster: Roster, key_id: str) -> None:
    nodes = [quiet_node(c.members[m.name], roster) for m in roster.members]
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), key_id, roster),
                               c.op().identity.signer)
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    direct_genesis(nodes, key_id, c.op())


def _serve_exit(c: Council, name: str, roster_label: str, passphrase: str | None = None) -> tuple[int, str]:
    e = env()
    if passphrase:
        e["KEYCOUNCIL_PASSPHRASE"] = passphrase
    p = subprocess.run([sys.executable, "-m", "council.node", "serve", str(c.base / name),
                        "--roster", str(c.roster_files[roster_label]), "--listen", "127.0.0.1:0"],
                       cwd=ROOT, env=e, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def test_secrets_are_sealed_and_private(tmp_path: Path) -> None:
    folder = MemberFolder.init(tmp_path / "m", "m", "127.0.0.1:7001", b"correct horse")
    seed = folder.identity.signer.seed()
    for name in ("signing.key", "encryption.key", "tls.key"):
        path = tmp_path / "m" / "identity" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert seed not in path.read_bytes() and b"PRIVATE KEY" not in path.read_bytes()
    again = MemberFolder.open(tmp_path / "m", b"correct horse")
    assert again.identity.signer.seed() == seed
    with pytest.raises(StorageError, match="wrong passphrase"):
        MemberFolder.open(tmp_path / "m", b"wrong")
    with pytest.raises(StorageError, match="sealed"):
        MemberFolder.open(tmp_path / "m", None)
    with pytest.raises(FolderError, match="already a member folder"):
        MemberFolder.init(tmp_path / "m", "m", "127.0.0.1:7001", None)
    assert not [p for p in (tmp_path / "m").rglob("*.tmp")]


def test_passphrase_is_required_unless_insecure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYCOUNCIL_PASSPHRASE", raising=False)
    with pytest.raises(FolderError, match="--insecure-no-passphrase"):
        read_passphrase(None, insecure=False)
    assert read_passphrase(None, insecure=True) is None
    monkeypatch.setenv("KEYCOUNCIL_PASSPHRASE", "from-env")
    assert read_passphrase(None, insecure=False) == b"from-env"
    write_atomic(tmp_path / "pp", b"from-file\n", secret=True)
    assert read_passphrase(tmp_path / "pp", insecure=False) == b"from-file"


def test_share_from_another_member_key_or_epoch_is_refused(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    _dkg(c, r, "k1")
    _dkg(c, r, "k2")
    a = c.members["a"].path / "keys"
    assert quiet_node(c.members["a"], r).startup_check() == [("k1", 0, True), ("k2", 0, True)]

    shutil.copy(c.members["b"].path / "keys/k1/0/share.sealed", a / "k1/0/share.sealed")
    with pytest.raises(StorageError, match=r"k1/0/share.sealed: refusing share file: it belongs to the member"):
        c.store("a").load_share("k1", 0)

    shutil.copy(a / "k2/0/share.sealed", a / "k1/0/share.sealed")
    with pytest.raises(StorageError, match="it is a share of key 'k2', not of key 'k1'"):
        quiet_node(c.members["a"], r).startup_check()

    shutil.copytree(a / "k2/0", a / "k2/1")  # an epoch folder with epoch 0's files
    with pytest.raises(StorageError, match="records key 'k2' epoch 0, but lies in the folder of key 'k2' epoch 1"):
        c.store("a").load_share("k2", 1)
    (a / "k2/1/epoch.json").write_text((a / "k2/0/epoch.json").read_text().replace('"epoch": 0', '"epoch": 1'))
    with pytest.raises(StorageError):
        c.store("a").load_share("k2", 1)


@pytest.mark.slow
def test_misplaced_or_corrupted_share_stops_the_node(council: Council) -> None:
    c = council
    c.add_members("a", "b", passphrase=b"pw")
    r = c.roster("r", 2, ["a", "b"])
    _dkg(c, r, "k")
    _dkg(c, r, "other")
    share_a = c.members["a"].path / "keys/k/0/share.sealed"
    original = share_a.read_bytes()

    shutil.copy(c.members["a"].path / "keys/other/0/share.sealed", share_a)
    code, err = _serve_exit(c, "a", "r", "pw")
    assert code == 1 and "refusing share file: it is a share of key 'other', not of key 'k'" in err, err

    shutil.copy(c.members["b"].path / "keys/k/0/share.sealed", share_a)  # sealed under b's own key
    code, err = _serve_exit(c, "a", "r", "pw")
    assert code == 1 and "keys/k/0/share.sealed: damaged, or sealed under another passphrase" in err, err

    corrupted = bytearray(original)
    corrupted[-5] ^= 0x01
    share_a.write_bytes(bytes(corrupted))
    code, err = _serve_exit(c, "a", "r", "pw")
    assert code == 1 and "keys/k/0/share.sealed: damaged, or sealed under another passphrase" in err, err
    assert "Traceback" not in err


def test_restart_between_storing_the_new_epoch_and_erasing_the_old(council: Council) -> None:
    from council.protocol.ceremony_request import EpochData

    c = council
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    r2 = c.roster("r2", 3, ["a", "b", "c"])
    _dkg(c, r1, "k")
    saved = (c.members["a"].path / "keys/k/0/share.sealed").read_bytes()
    rec = c.store("a").record("k", 0)
    req = SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", r2, r1,
                                            EpochData(rec.commit, rec.signatures, rec.verification_shares)),
                               c.op().identity.signer)
    op_cert = cert_der(c.op().identity.tls_cert_pem, "operator")
    direct_log_for([quiet_node(c.members[n], r1) for n in "abc"], "k", RosterProposed(r2), c.op())
    direct_ceremony([quiet_node(c.members[n], r1) for n in "abc"], req, op_cert)

    # Simulate a crash after the new epoch was stored, before the old share was erased.
    ceremony = c.members["a"].path / "ceremonies" / req.request.ceremony_id.hex()
    (ceremony / "state.json").unlink()
    (c.members["a"].path / "keys/k/0/share.sealed").write_bytes(saved)
    restarted = quiet_node(c.members["a"], r1)
    result = restarted.finalize(req, op_cert, [])
    assert result.epoch == 1 and result.holds_share and result.erased_previous
    assert not (c.members["a"].path / "keys/k/0/share.sealed").exists()
    assert restarted.status().ceremonies == ()


def test_one_commit_signature_per_epoch_across_ceremonies(council: Council) -> None:
    from council.errors import CeremonyError
    from council.protocol.ceremony_request import EpochData

    c = council
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    r2 = c.roster("r2", 2, ["a", "b", "c"])
    _dkg(c, r1, "k")
    rec = c.store("a").record("k", 0)
    previous = EpochData(rec.commit, rec.signatures, rec.verification_shares)
    op, op_cert = c.op().identity.signer, cert_der(c.op().identity.tls_cert_pem, "operator")
    nodes = [quiet_node(c.members[n], r1) for n in "abc"]

    def until_output(req: SignedRequest) -> list[object]:
        dealings = [m for n in nodes if (m := n.deal(req, op_cert)) is not None]
        responses = [m for n in nodes if (m := n.check(req, op_cert, dealings)) is not None]
        return [n.output(req, op_cert, responses) for n in nodes]

    first = SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", r2, r1, previous), op)
    second = SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", r2, r1, previous), op)
    outs_first = until_output(first)
    outs_second = until_output(second)  # a concurrent ceremony for the same epoch gets no signatures
    assert all(o.commit_signature is None and "one commit per epoch" in o.share_problem for o in outs_second)
    with pytest.raises(CeremonyError, match="1 receivers signed|0 receivers signed"):
        nodes[0].finalize(second, op_cert, [o.commit_signature for o in outs_first])
    commits = [o.commit_signature for o in outs_first]
    assert all(n.finalize(first, op_cert, commits).epoch == 1 for n in nodes)
    with pytest.raises(CeremonyError, match="is superseded on this member"):
        nodes[1].finalize(second, op_cert, commits)
    stored = c.store("b").epoch_dir("k", 1) / "request.bin"
    assert SignedRequest.from_bytes(stored.read_bytes()).request.ceremony_id == first.request.ceremony_id


def test_roster_entry_with_another_certificate_is_refused_at_start(council: Council) -> None:
    from dataclasses import replace

    from council.node.folder import write_json
    from council.node.runtime import open_member

    c = council
    c.add_members("a", "b")
    r = c.roster("r", 1, ["a", "b"])
    wrong = Roster(1, (replace(r.members[0], tls_cert=r.members[1].tls_cert), r.members[1]), r.operators)
    write_json(c.base / "wrong.json", wrong.to_json())
    with pytest.raises(FolderError, match="member 1 .'a'. has this member's signing key but another TLS certificate"):
        open_member(c.base / "a", c.base / "wrong.json", None, log_to_stderr=False)
