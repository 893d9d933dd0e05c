"""Temporary files (issue 3/7, defect 5 and the write_atomic mutant): a share copy a killed store
left behind is swept at start-up and on erase; a live writer's temporary file is never swept;
`write_atomic` really writes a temporary file, fsyncs it and renames it (observed from outside:
a writer SIGKILLed mid-write never leaves a half-written file, the target gets a new inode, and
strace shows write, fsync, rename, folder fsync in that order)."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from node_helpers import ROOT, Council, direct_ceremony, direct_genesis, env, quiet_node

from council.crypto.messages import Kind
from council.errors import StorageError
from council.node.keystore import EpochRecord
from council.node.runtime import open_member
from council.protocol.ceremony_request import EpochData, SignedRequest, StartRequest
from council.roster import Roster
from council.storage.files import sweep_temporaries, write_atomic
from council.storage.identity import cert_der

ORPHAN = ".share.sealed.0123abcd.tmp"


def _ceremony(c: Council, nodes_roster: Roster, req: SignedRequest) -> None:
    nodes = [quiet_node(c.members[m.name], nodes_roster) for m in nodes_roster.members]
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    if req.request.kind is Kind.DKG:
        direct_genesis(nodes, req.request.key_id, c.op())


def _unsealable(c: Council, name: str, folder: Path) -> list[str]:
    """Every file in `folder` that still opens as a sealed share."""
    vault = c.members[name].vault
    out = []
    for p in folder.iterdir():
        try:
            vault.open("share", p.read_bytes(), str(p))
            out.append(p.name)
        except StorageError:
            pass
    return out


def test_orphaned_share_copy_is_erased_with_the_share(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    op = c.op().identity.signer
    _ceremony(c, r1, SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", r1), op))
    epoch0 = c.members["a"].path / "keys/k/0"
    (epoch0 / ORPHAN).write_bytes((epoch0 / "share.sealed").read_bytes())  # what a kill mid-store leaves
    rec: EpochRecord = c.store("a").record("k", 0)
    previous = EpochData(rec.commit, rec.signatures, rec.verification_shares)
    _ceremony(c, r1, SignedRequest.create(StartRequest(Kind.RESHARE, secrets.token_bytes(16), "k", r1, r1,
                                                       previous), op))
    assert c.store("a").current("k").epoch == 1
    assert _unsealable(c, "a", epoch0) == [], "a copy of the erased share survived"


def test_orphaned_temporaries_are_swept_at_start(council: Council) -> None:
    c = council
    c.add_members("a", "b")
    c.roster("r", 1, ["a", "b"])
    orphan = c.members["a"].path / "keys/k/1" / ORPHAN
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"KCSEAL1\x00secret")
    other = c.members["a"].path / ".member.json.feedbeef.tmp"
    other.write_bytes(b"{}")
    keep = c.members["a"].path / "keys/k/1/.notes.tmp"  # not a write_atomic name: not ours to remove
    keep.write_bytes(b"x")
    node = open_member(c.base / "a", c.roster_files["r"], None, log_to_stderr=False)
    assert not orphan.exists() and not other.exists() and keep.exists()
    log = (node.folder.path / "log" / "events.jsonl").read_text()
    assert '"event": "temporaries-swept"' in log and '"count": 2' in log


def test_the_sweep_leaves_a_live_writers_temporary_file(tmp_path: Path) -> None:
    tmp = tmp_path / ".share.sealed.89abcdef.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as write_atomic holds it until the rename
    os.write(fd, b"half")
    assert sweep_temporaries(tmp_path) == [] and tmp.exists()
    os.close(fd)  # the writer died: its lock went with it
    assert sweep_temporaries(tmp_path) == [tmp] and not tmp.exists()


def test_writers_and_sweeps_at_once_never_lose_a_write(tmp_path: Path) -> None:
    target = tmp_path / "epoch.json"
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(tag: bytes) -> None:
        try:
            for k in range(150):
                write_atomic(target, tag * 1000 + str(k).encode())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def sweep() -> None:
        while not stop.is_set():
            sweep_temporaries(tmp_path)

    sweeper = threading.Thread(target=sweep)
    writers = [threading.Thread(target=write, args=(t,)) for t in (b"a", b"b")]
    sweeper.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    stop.set()
    sweeper.join(10)
    assert errors == []
    assert target.read_bytes()[:1000] in (b"a" * 1000, b"b" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["epoch.json"]


WRITER = """
import sys
from pathlib import Path
from council.storage.files import write_atomic
target, size = Path(sys.argv[1]), int(sys.argv[2])
k = 0
while True:
    write_atomic(target, bytes([65 + k % 2]) * size)
    k += 1
    print(k, flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.13])
def test_a_writer_killed_mid_write_leaves_the_old_file_or_the_new(tmp_path: Path, delay: float) -> None:
    size = 16 << 20
    target = tmp_path / "share.sealed"
    write_atomic(target, b"Z" * size)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(size)], cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "1"  # one whole write done
        time.sleep(delay)  # then kill it wherever it is in the next ones
        proc.kill()
    finally:
        proc.wait(10)
    data = target.read_bytes()
    assert len(data) == size and data in (b"A" * size, b"B" * size), "a half-written file was left"


def test_write_atomic_renames_a_new_file_over_the_target(tmp_path: Path) -> None:
    target = tmp_path / "epoch.json"
    write_atomic(target, b"old")
    before = os.stat(target).st_ino
    reader = open(target, "rb")  # noqa: SIM115 - a reader holding the old file open
    try:
        write_atomic(target, b"new")
        assert reader.read() == b"old", "the file was rewritten in place"
    finally:
        reader.close()
    assert os.stat(target).st_ino != before and target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["epoch.json"]


SPY = """
import sys
from pathlib import Path
from council.storage.files import write_atomic
write_atomic(Path(sys.argv[1]), b"s" * 4096, secret=True)
"""


def test_write_atomic_writes_fsyncs_and_renames_in_that_order(tmp_path: Path) -> None:
    """Watched from outside (strace on a real process): the data goes to a fresh temporary file,
    that file is fsynced, then renamed over the target, then the folder is fsynced."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    target, trace = tmp_path / "share.sealed", tmp_path / "trace.txt"
    run = subprocess.run([strace, "-f", "-qq", "-o", str(trace), "-e",
                          "trace=openat,write,fsync,fdatasync,rename,renameat,renameat2",
                          sys.executable, "-c", SPY, str(target)], cwd=ROOT, env=env(), capture_output=True,
                         text=True, timeout=60)
    if run.returncode != 0 and "ptrace" in run.stderr:
        pytest.skip(f"strace cannot trace here: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    calls = [line.split(None, 1)[1] for line in trace.read_text().splitlines() if str(tmp_path) in line
             or line.split(None, 1)[1].startswith(("write(", "fsync(", "fdatasync("))]
    opened = next(k for k, c in enumerate(calls) if c.startswith("openat(") and ".share.sealed." in c)
    fd = calls[opened].rsplit("= ", 1)[1].strip()
    assert "O_CREAT|O_EXCL" in calls[opened] and ", 0600)" in calls[opened], calls[opened]
    after = calls[opened + 1:]
    wrote = next(k for k, c in enumerate(after) if c.startswith(f"write({fd}, "))
    synced = next(k for k, c in enumerate(after) if c.startswith((f"fsync({fd})", f"fdatasync({fd})")))
    renamed = next(k for k, c in enumerate(after) if c.startswith("rename") and str(target) + '"' in c)
    folder = next(k for k, c in enumerate(after) if c.startswith("openat(") and f'"{tmp_path}"' in c)
    dir_fd = after[folder].rsplit("= ", 1)[1].strip()
    dir_synced = next(k for k, c in enumerate(after) if k > folder and c.startswith(f"fsync({dir_fd})"))
    assert wrote < synced < renamed < folder < dir_synced, after
