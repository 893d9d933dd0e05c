"""Bounded memory: sealing and opening 512 MiB grows peak RSS by less than 64 MiB (measured with
VmHWM in a fresh subprocess, which unlike getrusage's ru_maxrss is not inherited from the parent
across fork and exec; the input is generated block by block, never held whole)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SIZE = 512 * 1024 * 1024
LIMIT_MIB = 64

SCRIPT = r"""
import io, json, os, sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from dump_helpers import make_council, make_sealer
from dumps import open_dump, seal_dump

class Pattern(io.RawIOBase):
    '''SIZE bytes made from one 1 MiB block, handed out as asked.'''
    def __init__(self, size):
        self.left, self.block = size, memoryview(os.urandom(1 << 20))
    def readable(self):
        return True
    def readinto(self, buf):
        n = min(len(buf), self.left, len(self.block))
        buf[:n] = self.block[:n]
        self.left -= n
        return n

folder, size, version = Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
council, sealer = make_council(), make_sealer()
def peak():
    with open("/proc/self/status") as f:
        return int(next(x for x in f if x.startswith("VmHWM:")).split()[1]) // 1024
base = peak()
seal_dump(Pattern(size), folder / "big.kcd", target=council.target, sealer=sealer, app_id="big",
          dump_version=1, format_version=version)
after_seal = peak()
opened = open_dump(folder / "big.kcd", folder / "big.out", council.keys)
assert opened.plaintext_length == size and (folder / "big.out").stat().st_size == size
print(json.dumps({"base_mib": base, "after_seal_mib": after_seal, "after_open_mib": peak()}))
"""


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("version", [1, 2])
def test_seal_and_open_512_mib_in_bounded_memory(tmp_path: Path, version: int) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(HERE), str(ROOT), str(tmp_path), str(SIZE),
                          str(version)],
                         check=True, capture_output=True, text=True, timeout=120)
    figures = json.loads(out.stdout)
    growth = figures["after_open_mib"] - figures["base_mib"]
    assert figures["base_mib"] < 200, figures  # a fresh interpreter, not the parent's high-water mark
    assert growth < LIMIT_MIB, figures
