"""`dump verify`, `inspect` and `open` on a FIFO (issue 3/7, defect 7) refuse at once with a clear
error instead of waiting forever for a writer (a real process, bounded by a timeout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", ["verify", "inspect"])
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "dump.kcd"
    os.mkfifo(fifo)
    code = "from cli.member import run_group; from cli.dump import dump; run_group(dump)"
    try:
        out = subprocess.run([sys.executable, "-c", code, command, str(fifo)], cwd=ROOT, capture_output=True,
                             text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dump {command} on a FIFO hung")
    assert out.returncode != 0
    assert "not a regular file (a FIFO)" in out.stderr + out.stdout, out.stderr
    assert "Traceback" not in out.stderr
