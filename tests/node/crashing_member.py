"""A member process that SIGKILLs itself right after persisting a given phase, before answering.

Usage: python crashing_member.py FOLDER ROSTER PHASE  (PHASE: deal, check, output, signed, commits,
store:<file> for each file of the epoch folder (share.sealed, request.bin, transcript.bin,
epoch.json), stored, erased: the kill points of council.node.node and keystore; or approval: a
council-log approval persisted, tests/log_net; release-written@N: the N-th group commit of the
release log, its lines written but not yet fsynced, tests/recovery_net/test_release_crash). Used
by test_e2e to crash a member in the middle of a phase; the test then restarts it normally.

release-written@N simulates a power cut, not only a kill: what no fsync covered yet is lost (the
release log is cut back to its length at the start of the last fsync that completed) and then the
process is SIGKILLed, so a reply sent before its record was durable would show in the test.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from council.node.runtime import open_member
from council.node.server import serve_forever, start


def main() -> None:
    folder, roster, phase = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def crash(done: str) -> None:
        if done == phase:
            os.kill(os.getpid(), signal.SIGKILL)

    if phase.startswith("release-written@"):
        crash = _power_cut_at_release_sync(folder / "log" / "releases.jsonl", int(phase.split("@")[1]))

    node = open_member(folder, roster, None)
    node.after_persist = crash
    node.logbook.after_persist = crash
    serve_forever(start(node, node.folder.listen))


def _power_cut_at_release_sync(log: Path, nth: int) -> Callable[[str], None]:
    """A kill point for the release log's group commit (see the module docstring)."""
    seen, durable, pending = [0], [log.stat().st_size if log.exists() else 0], [0]

    def at(done: str) -> None:
        if done == "release-synced":
            durable[0] = pending[0]
        if done != "release-written":
            return
        pending[0] = log.stat().st_size  # every line up to here is covered by the coming fsync
        seen[0] += 1
        if seen[0] == nth:
            os.truncate(log, durable[0])
            os.kill(os.getpid(), signal.SIGKILL)
    return at


if __name__ == "__main__":
    main()
