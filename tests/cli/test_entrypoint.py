"""Exit codes through the installed entry point (not click's test runner): 0 only on success."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "dcap"


def test_attest_verify_exit_codes_through_the_entry_point() -> None:
    folder = VECTORS / "q01-sgx-v3-dcapqvl"
    at = json.loads((folder / "expected.json").read_text())["at"]
    base = [sys.executable, "-c", "from cli.main import main; main()", "attest", "verify",
            str(folder / "quote.bin"), "--collateral", str(folder / "collateral")]
    ok = subprocess.run([*base, "--at", at], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["verified"] is True
    late = subprocess.run([*base, "--at", "2031-01-01T00:00:00Z"], capture_output=True, text=True, timeout=60)
    assert late.returncode == 1 and json.loads(late.stdout)["verified"] is False
