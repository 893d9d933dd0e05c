"""Progress of large dumps: `dump seal`, `dump publish` and `recover` draw a progress line on
stderr when it is a terminal (a real pty), and write none of it when stderr is a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from recovery_helpers import two_epochs

from cli.progress import MIN_BYTES, Bar
from council.protocol.backup import export_backup

ROOT = Path(__file__).resolve().parents[2]
SIZE = MIN_BYTES + 4 * 1024 * 1024
pytestmark = pytest.mark.timeout(120)


def _run(args: list[str], tty: bool) -> tuple[int, str, str]:
    """`keycouncil ARGS` as a process, stderr on a pty (tty) or a pipe."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"}
    cmd = [sys.executable, "-c", "from cli.main import main; main()", *args]
    if not tty:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=100)
        return p.returncode, p.stdout, p.stderr
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=slave,
                                stdin=subprocess.DEVNULL, text=True)
        os.close(slave)
        err = b""
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:                       # EIO: the child closed the terminal
                break
            if not data:
                break
            err += data
        out = proc.stdout.read() if proc.stdout else ""
        return proc.wait(30), out, err.decode(errors="replace")
    finally:
        os.close(master)


def _setup(tmp_path: Path) -> list[str]:
    """A bundle, a signer, a large state file; backup arguments of 5 members of the new epoch."""
    epoch = two_epochs().new
    (tmp_path / "bundle.json").write_text(epoch.council.bundle.dumps())
    (tmp_path / "state.bin").write_bytes(os.urandom(1 << 20) * (SIZE >> 20))
    assert _run(["signer", "new", str(tmp_path / "signer"), "--simulated"], False)[0] == 0
    backups = []
    for i in (1, 2, 3, 4, 5):
        files = export_backup(epoch.shares[i], i, epoch.council.bundle, epoch.council.verification_shares,
                              tmp_path / f"m{i}", 1, [(2, 3)], None)
        backups += [a for f in files[:2] for a in ("--backup", str(f))]
    return backups


@pytest.mark.parametrize("tty", [True, False], ids=["pty", "pipe"])
def test_progress_only_on_a_terminal(tmp_path: Path, tty: bool) -> None:
    backups = _setup(tmp_path)
    sealed, published = tmp_path / "sealed", tmp_path / "published"
    sealed.mkdir()
    published.mkdir()
    steps = {
        "sealing": ["dump", "seal", "--bundle", str(tmp_path / "bundle.json"), "--signer",
                    str(tmp_path / "signer"), "--app", "app", "--version", "1", str(tmp_path / "state.bin"),
                    "-o", str(sealed / "app-1.kcd")],
        "publishing app-1.kcd": ["dump", "publish", str(sealed / "app-1.kcd"), "--store", str(published)],
        "recovering app": ["recover", "--offline", "--store", str(published), "--app", "app",
                           "-o", str(tmp_path / "out.bin"), *backups],
    }
    for label, args in steps.items():
        code, out, err = _run(args, tty)
        assert code == 0, (label, out, err)
        if tty:
            assert f"\r{label}: " in err and "MiB/s" in err, (label, err)
            assert f"{SIZE >> 20}/" in err or label == "recovering app", (label, err)
        else:
            assert "\r" not in err and "MiB/s" not in err and label not in err, (label, err)
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "state.bin").read_bytes()


def test_bar_lines() -> None:
    class Tty:
        text = ""

        def write(self, s: str) -> None:
            self.text += s

        def flush(self) -> None:
            pass

    clock = iter([0.0, 1.0, 2.0, 2.05, 3.0])
    stream = Tty()
    bar = Bar("publishing x", 64 << 20, stream, lambda: next(clock))  # type: ignore[arg-type]
    bar(32 << 20)
    bar(16 << 20)                                                       # redrawn at most 10/s
    bar(16 << 20)
    bar.finish()
    assert stream.text.count("\r") == 3
    assert "publishing x: 32/64 MiB  50%  32 MiB/s" in stream.text
    assert stream.text.endswith("publishing x: 64/64 MiB 100%  21 MiB/s\x1b[K\n")
