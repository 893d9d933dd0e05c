"""Taking a secret out of the process environment for good (issue 3/7, defect 7).

`os.environ.pop` (unsetenv) only drops libc's pointer to the variable: the kernel still shows the
*initial* environment block, which lies on the process's stack between `env_start` and `env_end`
(fields 50 and 51 of /proc/self/stat), in /proc/PID/environ for as long as the process lives. So
after reading the secret we (1) remove it from os.environ, so no child inherits it, and (2)
overwrite its `NAME=value` entry in that block with zero bytes, in place (the block is our own
writable memory; nothing points into the entry once it is unset). Linux only; elsewhere (2) is
skipped.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

ENV_START_FIELD = 50  # man 5 proc: (50) env_start, (51) env_end


def scrub(name: str) -> bool:
    """Steps (1)-(2); True if an entry was overwritten in the initial environment block."""
    os.environ.pop(name, None)                                                       # (1)
    if not sys.platform.startswith("linux"):
        return False
    try:
        start, end = _env_block()
    except (OSError, ValueError, IndexError):
        return False
    block = ctypes.string_at(start, end - start)                                     # (2)
    prefix, found, offset = name.encode() + b"=", False, 0
    for entry in block.split(b"\0"):
        if entry.startswith(prefix):
            ctypes.memset(start + offset, 0, len(entry))
            found = True
        offset += len(entry) + 1
    return found


def _env_block() -> tuple[int, int]:
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    start, end = int(fields[ENV_START_FIELD - 3]), int(fields[ENV_START_FIELD - 2])  # fields start at (3)
    if not 0 < start < end:
        raise ValueError("no environment block")
    return start, end
