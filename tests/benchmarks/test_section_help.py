"""Every bench module that runs alone (`benchmarks.run`, the whole bench, included) answers
`--help` with its usage and exits 0: a stray `--help` used to start a long run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py")
                  if 'if __name__ == "__main__":' in p.read_text())


def _run_all(flag: str) -> dict[str, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = {m: subprocess.Popen([sys.executable, "-m", f"benchmarks.{m}", flag], cwd=ROOT, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for m in SECTIONS}
    done = {}
    for m, p in procs.items():
        try:
            out, err = p.communicate(timeout=120)
        finally:
            p.kill()
        done[m] = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    return done


def test_every_section_answers_help_without_running() -> None:
    assert len(SECTIONS) >= 10
    for module, r in _run_all("--help").items():
        assert r.returncode == 0, (module, r.stderr[-400:])
        assert "usage: python -m benchmarks." + module in r.stdout, (module, r.stdout[:200])
