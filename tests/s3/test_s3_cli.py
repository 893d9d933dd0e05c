"""`keycouncil dump publish / dump ls --store / recover --store s3://…` as processes against the S3
server process: publish three chained dumps, list them from the bucket, recover the newest from
members' backups (break glass) straight from the bucket; two publishers race for one name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from recovery_helpers import seal_versions, two_epochs
from s3_helpers import ACCESS_KEY, ROOT, SECRET_KEY, S3Server, keycouncil

from council.protocol.backup import export_backup

pytestmark = pytest.mark.timeout(120)
PAYLOADS = [os.urandom(4000 + k) for k in range(3)]


def _backup_args(tmp_path: Path, members: list[int]) -> list[str]:
    epoch, args = two_epochs().new, []
    for i in members:
        files = export_backup(epoch.shares[i], i, epoch.council.bundle, epoch.council.verification_shares,
                              tmp_path / f"m{i}", 1, [(2, 3)], None)
        args += [a for f in files[:2] for a in ("--backup", str(f))]
    return args


def test_publish_ls_and_recover_from_the_bucket(tmp_path: Path, s3: S3Server) -> None:
    e = two_epochs()
    local = tmp_path / "sealed"
    local.mkdir()
    files = seal_versions(local, [e.old, e.new, e.new], PAYLOADS)
    url = f"s3://{s3.bucket()}/prod/dumps"
    p = keycouncil(s3, "dump", "publish", *map(str, files), "--store", url, "--s3-endpoint", s3.endpoint)
    assert p.code == 0, p.err
    assert [line.split()[3] for line in p.out.splitlines()] == [f"{url}/app-{k}.kcd:" for k in (1, 2, 3)]
    again = keycouncil(s3, "dump", "publish", str(files[0]), "--store", url, "--s3-endpoint", s3.endpoint)
    assert again.code == 1
    assert again.err.strip().splitlines()[-1] == (f"error: {files[0]}: {url}/app-1.kcd: already exists; "
                                                  "refusing to overwrite")

    ls = keycouncil(s3, "dump", "ls", "--store", url, "--s3-endpoint", s3.endpoint)
    assert ls.code == 0, ls.err
    rows = [line.split() for line in ls.out.splitlines()[1:]]
    assert [(r[0], r[2], r[-1]) for r in rows] == [("app-1.kcd", "1", "ok"), ("app-2.kcd", "2", "ok"),
                                                   ("app-3.kcd", "3", "newest")]

    out = tmp_path / "restored.bin"
    rec = keycouncil(s3, "recover", "--offline", "--store", url, "--s3-endpoint", s3.endpoint,
                     "--app", "app", "-o", str(out), *_backup_args(tmp_path, [1, 3, 4, 6, 7]))
    assert rec.code == 0, rec.err
    assert out.read_bytes() == PAYLOADS[2]
    assert "recovered app version 3 (app-3.kcd" in rec.out
    assert not list(tmp_path.glob("restored.bin.*")) and not any(
        p.suffix == ".kcd" for p in tmp_path.iterdir())           # nothing copied next to OUT
    for text in (p.out, p.err, ls.out, ls.err, rec.out, rec.err):
        assert ACCESS_KEY not in text and SECRET_KEY not in text


def test_folder_forms_keep_working(tmp_path: Path, s3: S3Server) -> None:
    e = two_epochs()
    folder = tmp_path / "store"
    folder.mkdir()
    seal_versions(folder, [e.old, e.new, e.new], PAYLOADS)
    for form in ([str(folder)], ["--store", str(folder)], ["--store", f"file://{folder}"]):
        ls = keycouncil(s3, "dump", "ls", *form)
        assert ls.code == 0 and "newest" in ls.out.splitlines()[-1], (form, ls.err)
    both = keycouncil(s3, "dump", "ls", str(folder), "--store", str(folder))
    assert both.code == 2 and "name the store once" in both.err


RACE = r"""
import sys, time
from pathlib import Path
from dumps.stores import open_store
from dumps.publish import publish_file
start, url, endpoint, file = float(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
store = open_store(url, s3_endpoint=endpoint)
store.stat("warm-up")                      # connection and credentials ready before the start
time.sleep(max(0.0, start - time.time()))
try:
    publish_file(store, file, "app-1.kcd")
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
    sys.exit(1)
print("won")
"""


@pytest.mark.parametrize("round_", range(3))
def test_two_publishers_race_for_one_name(tmp_path: Path, s3: S3Server, round_: int) -> None:
    """Two processes publish different version-1 dumps under one name at the same instant."""
    e = two_epochs()
    files = []
    for who in ("a", "b"):
        (tmp_path / who).mkdir()
        files += seal_versions(tmp_path / who, [e.new], [os.urandom(3000)])
    url = f"s3://{s3.bucket()}/race"
    import time

    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(start), url, s3.endpoint, str(f)], cwd=ROOT,
                              env=s3.process_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for f in files]
    results = [(p.wait(60), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    winner = next(i for i, (code, _, _) in enumerate(results) if code == 0)
    loser_says = results[1 - winner][1].strip()
    assert loser_says.startswith(f"DumpExists: {url}/app-1.kcd: "), loser_says
    assert ("already exists; refusing to overwrite" in loser_says
            or "another publisher is creating this object" in loser_says), loser_says
    client = s3.client()
    bucket = url[len("s3://"):].split("/")[0]
    body = client.get_object(Bucket=bucket, Key="race/app-1.kcd")["Body"].read()
    assert body == files[winner].read_bytes()
