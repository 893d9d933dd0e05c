"""Bad input through the real `keycouncil` entry point: one clear line naming the file, a non-zero
exit, and never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture()
def garbage(tmp_path: Path) -> Path:
    p = tmp_path / "garbage.bin"
    p.write_bytes(b"\x00not what you think\xff" * 10)
    return p


@pytest.mark.parametrize(("argv", "expected"), [
    (("dump", "verify", "{missing}"), "missing.kcd: No such file"),
    (("dump", "inspect", "{garbage}"), "garbage.bin"),
    (("dump", "verify", "{garbage}"), "garbage.bin"),
    (("roster", "digest", "{garbage}"), "garbage.bin"),
    (("policy", "show", "{garbage}"), "garbage.bin"),
    (("attest", "verify", "{garbage}", "--collateral", "{tmp}"), '"failed_step": "parse_quote"'),
    (("recover", "--offline", "--backup", "{garbage}", "--store", "{tmp}", "--app", "a", "-o", "{tmp}/out"),
     "no authentic dump of a"),
])
def test_bad_input_gives_a_clear_message(argv: tuple[str, ...], expected: str, garbage: Path,
                                         tmp_path: Path) -> None:
    args = [a.format(missing=tmp_path / "missing.kcd", garbage=garbage, tmp=tmp_path) for a in argv]
    out = run(*args)
    text = out.stderr + out.stdout
    assert out.returncode != 0, text
    assert "Traceback" not in text
    assert expected in text
    assert not (tmp_path / "out").exists()
