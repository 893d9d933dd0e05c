"""`python tied.py PARENT_PID CMD ARGS...`: run CMD tied to the process that started it.

Asks Linux for SIGKILL when the parent exits (PR_SET_PDEATHSIG, kept across exec), exits at once
if the parent is already gone, then execs CMD in its place. It replaces `preexec_fn`, with which
Python forks instead of using vfork: the parent's pthread_atfork handlers then run in the child,
gRPC's restart its event-engine poller there, and the child's closing of inherited descriptors
can make that poller abort the child before exec (decision 132). Standard library only and run by
path, so nothing of ours is imported before the exec.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def tied_command(command: list[str]) -> list[str]:
    """COMMAND wrapped so that it dies with this process (Linux; elsewhere it just runs)."""
    return [sys.executable, "-s", str(Path(__file__).resolve()), str(os.getpid()), *command]


def tie_to_parent(parent: int) -> None:
    """Ask for SIGKILL when the parent exits; exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        sys.exit("tied: the process that started this one has already exited")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit("usage: tied.py PARENT_PID COMMAND [ARGS...]")
    tie_to_parent(int(argv[0]))
    os.execvp(argv[1], argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
