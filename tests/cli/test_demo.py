"""`keycouncil demo --in-process`: the protocol walk-through without network or disk (a contract:
the networked demo replaced it as the default, this flag keeps it)."""

from __future__ import annotations

import subprocess
import sys


def test_in_process_demo_runs_and_recovers_the_data_key() -> None:
    out = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "demo", "--in-process"],
                         capture_output=True, text=True, timeout=120, check=True)
    assert "in-process: no network, no disk" in out.stdout
    assert "data key MATCHES" in out.stdout
    assert "public key unchanged" in out.stdout
