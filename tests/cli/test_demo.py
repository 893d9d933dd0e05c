"""`keycouncil demo` runs the in-process protocol end to end through the installed console script."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_recovers_the_data_key() -> None:
    out = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "demo"],
                         capture_output=True, text=True, timeout=120, check=True)
    assert "data key MATCHES" in out.stdout
    assert "public key unchanged" in out.stdout
