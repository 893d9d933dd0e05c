"""End to end with member processes: DKG of 5, three dumps, re-share to 7 (t = 5), every process
killed, 5 of the 7 restarted; `keycouncil recover` restores version 3; a member of the old epoch
(its share erased) is refused; break glass from `member backup export` files with every server
stopped; an older-epoch backup is refused on import; backups carrying the BN254 signing share."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from net_helpers import APP, KEY, invoke, keycouncil, releases, seal_versions, write_release_policy
from node_helpers import Council

from cli.member_recovery import backup
from council.bundle import KeyBundle
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.protocol.backup import export_backup, load_backup_files
from council.protocol.errors import BackupShareInvalid
from council.protocol.recovery_request import sign_request
from council.storage.folders import load_roster
from dumps.sealer import SealingIdentity
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
FAST = Timing(call_timeout=20, retry_window=1)
OLD = ["m1", "m2", "m3", "m4", "m5"]
NEW = ["m3", "m4", "m5", "m6", "m7", "m8", "m9"]


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path)
    try:
        yield c
    finally:
        c.close()


def _start(c: Council, names: list[str], label: str) -> None:
    for n in names:
        c.spawn(n, label)
    c.wait_serving(names)


def _export(c: Council, name: str, out: Path) -> list[Path]:
    result = invoke(backup, ["export", str(c.base / name), "--key-id", KEY, "-o", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    return sorted(out.glob(f"backup-{KEY}-*.txt"))


def test_recover_after_full_shutdown_with_member_processes(council: Council, tmp_path: Path) -> None:
    c = council
    c.add_members("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9")
    r1, r2 = c.roster("r1", 3, OLD), c.roster("r2", 5, NEW)
    for n in c.members:
        write_release_policy(c.base / n)
    _start(c, OLD, "r1")
    dkg = run_dkg(r1, KEY, c.op(), FAST)
    assert dkg.committed and dkg.bundle is not None, dkg.lines()
    payloads = [os.urandom(20_000 + k) for k in range(3)]
    sealer = SealingIdentity.simulated()
    c.admit_sealer(r1, KEY, sealer)
    seal_versions(c.base / "store", dkg.bundle, payloads, sealer)
    stale = _export(c, "m3", tmp_path / "stale")                              # epoch 0 backup

    _start(c, ["m6", "m7", "m8", "m9"], "r2")
    reshare = run_reshare(r1, r2, KEY, c.op(), FAST)
    assert reshare.committed, reshare.lines()
    for n in list(c.procs):
        c.kill(n)                                                             # full shutdown

    _start(c, ["m3", "m4", "m5", "m6", "m7"], "r2")                           # 5 of the 7
    _start(c, ["m1"], "r1")                                                   # old member, erased
    out = tmp_path / "state.bin"
    started = time.monotonic()
    p = keycouncil("recover", "--roster", str(c.roster_files["r2"]), "--operator", str(c.op().path),
                   "--store", str(c.base / "store"), "--app", APP, "-o", str(out), "--deadline", "20")
    assert p.code == 0, p.err
    assert out.read_bytes() == payloads[2]
    assert "member 6 (m8): unavailable" in p.err and "member 7 (m9): unavailable" in p.err   # m8, m9 down
    assert time.monotonic() - started < 30
    assert releases(c.base / "m3")[-1]["decision"] == "released"

    _old_member_is_refused(c)
    _too_few_members(c, tmp_path)
    _break_glass(c, tmp_path, payloads[2], stale)


def _too_few_members(c: Council, tmp_path: Path) -> None:
    c.kill("m3")                                                              # 4 of 7 left, t = 5
    out = tmp_path / "too-few.bin"
    p = keycouncil("recover", "--roster", str(c.roster_files["r2"]), "--operator", str(c.op().path),
                   "--store", str(c.base / "store"), "--app", APP, "-o", str(out), "--deadline", "10")
    assert p.code == 1 and not out.exists()
    line = p.err.strip().splitlines()[-1]
    # with fewer than t members up the request cannot even be accepted in the council log (2/7):
    # the error names the approvals it has and whose are missing, and why
    assert line.startswith("error: the recovery request is not accepted in the council log: "), line
    assert "4 of 5 approvals needed" in line and "approved by m4, m5, m6, m7" in line, line
    assert "m3: unreachable" in line and "m8: unreachable" in line and "m9: unreachable" in line, line
    c.spawn("m3", "r2")
    c.wait_serving(["m3"])


def _old_member_is_refused(c: Council) -> None:
    chosen = choose_dump(c.base / "store", APP)
    request = sign_request(c.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                           dump_version=3, created_unix_ms=int(time.time() * 1000))
    client = GrpcMemberClient(load_roster(c.roster_files["r1"]), c.op(), wait_seconds=5)
    try:
        with pytest.raises(PolicyRefused, match="m1: its share of key appkey epoch 0 was erased after the re-share "
                                                "to epoch 1; it cannot contribute"):
            client.decrypt(1, request)
    finally:
        client.close()
    assert releases(c.base / "m1")[-1]["decision"] == "refused"


def _break_glass(c: Council, tmp_path: Path, expected: bytes, stale: list[Path]) -> None:
    files = [f for n in ["m3", "m4", "m5", "m6", "m7"] for f in _export(c, n, tmp_path / f"bk-{n}")]
    for n in list(c.procs):
        c.kill(n)                                                             # servers gone too
    out = tmp_path / "offline.bin"
    args = [a for f in files for a in ("--backup", str(f))]
    p = keycouncil("recover", "--offline", "--store", str(c.base / "store"), "--app", APP, "-o", str(out), *args)
    assert p.code == 0, p.err
    assert out.read_bytes() == expected
    refused = invoke(backup, ["import", str(c.base / "m3"), *map(str, stale)])
    assert refused.exit_code != 0
    assert "is stale: the key was re-shared to epoch 1" in str(refused.exception), refused.exception


def test_backup_import_restores_a_lost_share(council: Council, tmp_path: Path) -> None:
    """A member that lost its share (erased here) restores it from its own backup of the current
    epoch; a backup of another member is refused."""
    c = council
    names = ["m1", "m2", "m3"]
    c.add_members(*names)
    r1 = c.roster("r1", 2, names)
    _start(c, names, "r1")
    assert run_dkg(r1, KEY, c.op(), FAST).committed
    for n in list(c.procs):
        c.kill(n)
    files = _export(c, "m2", tmp_path / "bk")
    other = _export(c, "m3", tmp_path / "bk3")
    assert c.store("m2").erase_share(KEY, 0)
    wrong = invoke(backup, ["import", str(c.base / "m2"), *map(str, other[:2])])
    assert wrong.exit_code != 0 and "this member" in str(wrong.exception) and "is member 2" in str(wrong.exception)
    done = invoke(backup, ["import", str(c.base / "m2"), *map(str, files[:2])])
    assert done.exit_code == 0, (done.output, done.exception)
    assert "restored the share of member 2 (m2) of key appkey epoch 0" in done.output
    store = c.store("m2")
    assert store.record(KEY, 0).holds_share and store.load_share(KEY, 0) is not None


def test_backup_carries_the_signing_share(council: Council, tmp_path: Path) -> None:
    """An epoch with the council's BN254 signing key: `member backup export` writes version 2 files
    that also hold the member's signing share, and `import` restores both; a version 1 backup (the
    old format, the state share only) still imports; a version 2 file read as version 1 is refused."""
    c = council
    names = ["m1", "m2", "m3"]
    c.add_members(*names)
    r1 = c.roster("r1", 2, names)
    _start(c, names, "r1")
    assert run_dkg(r1, KEY, c.op(), FAST, signing_key=True).committed
    for n in list(c.procs):
        c.kill(n)
    store = c.store("m2")
    signing_share = store.load_bn254_share(KEY, 0)
    files = _export(c, "m2", tmp_path / "bk")
    assert all(f.read_text().startswith("keycouncil-backup/2\n") for f in files)
    assert all("\nsigning_share: bn254\n" in f.read_text() for f in files)
    rec = store.record(KEY, 0)
    assert rec.member_index is not None
    old = export_backup(store.load_share(KEY, 0), rec.member_index,
                        KeyBundle(rec.commit, rec.signatures, rec.roster), rec.verification_shares,
                        tmp_path / "old", passphrase=None)                       # version 1, as before
    assert old[0].read_text().startswith("keycouncil-backup/1\n")

    assert store.erase_share(KEY, 0) and not store.holds_bn254_share(KEY, 0)
    done = invoke(backup, ["import", str(c.base / "m2"), *map(str, files[:2])])
    assert done.exit_code == 0, (done.output, done.exception)
    assert "restored the share of member 2 (m2) of key appkey epoch 0 into" in done.output
    assert "with its BN254 signing share" in done.output
    store = c.store("m2")
    assert store.holds_bn254_share(KEY, 0) and store.load_bn254_share(KEY, 0) == signing_share
    assert store.load_share(KEY, 0) is not None

    assert store.erase_share(KEY, 0)
    again = invoke(backup, ["import", str(c.base / "m2"), *map(str, old[:2])])
    assert again.exit_code == 0, (again.output, again.exception)
    assert "signing share" not in again.output
    store = c.store("m2")
    assert store.load_share(KEY, 0) is not None and not store.holds_bn254_share(KEY, 0)
    assert store.record(KEY, 0).bn254 is not None  # the epoch's public signing key data is kept

    downgraded = [tmp_path / f"v1-{k}.txt" for k in range(2)]
    for src, dst in zip(files[:2], downgraded, strict=True):
        text = src.read_text().replace("keycouncil-backup/2\n", "keycouncil-backup/1\n", 1)
        dst.write_text(text.replace("signing_share: bn254\n", ""))
    with pytest.raises(BackupShareInvalid, match="hold 64 bytes"):
        load_backup_files(downgraded)
