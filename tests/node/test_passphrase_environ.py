"""KEYCOUNCIL_PASSPHRASE is read once, then gone: not in the member's environment for its children,
and not in /proc/PID/environ (the initial environment block the kernel shows, which os.environ
changes do not touch: the member overwrites it in place) — checked on a real member process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from node_helpers import ROOT, Council, env

from council.localnet.processes import member_command, serving_count

PASSPHRASE = "correct horse battery staple 42"


def test_the_passphrase_is_not_left_in_proc_environ(council: Council, tmp_path: Path) -> None:
    c = council
    c.add_members("a", "b", passphrase=PASSPHRASE.encode())
    c.roster("r", 1, ["a", "b"])
    e = env()
    e["KEYCOUNCIL_PASSPHRASE"] = PASSPHRASE
    before = serving_count(c.base / "a")
    with open(tmp_path / "a.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, *member_command(c.base / "a", c.roster_files["r"])],
                                cwd=ROOT, env=e, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while serving_count(c.base / "a") <= before:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "a.log").read_text()
            time.sleep(0.05)
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
        assert PASSPHRASE.encode() not in environ, "the passphrase is readable in /proc/PID/environ"
        assert b"KEYCOUNCIL_PASSPHRASE=" not in environ
        assert b"PYTHONPATH=" in environ  # the rest of the environment is kept
    finally:
        proc.kill()
        proc.wait(10)
