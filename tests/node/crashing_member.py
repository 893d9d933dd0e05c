"""A member process that SIGKILLs itself right after persisting a given phase, before answering.

Usage: python crashing_member.py FOLDER ROSTER PHASE  (PHASE: deal, check, output, signed, commits,
store:<file> for each file of the epoch folder (share.sealed, request.bin, transcript.bin,
epoch.json), stored, erased: the kill points of council.node.node and keystore; or approval: a
council-log approval persisted, tests/log_net). Used by test_e2e to crash a member in the middle
of a phase; the test then restarts it normally.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from council.node.runtime import open_member
from council.node.server import serve_forever, start


def main() -> None:
    folder, roster, phase = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def crash(done: str) -> None:
        if done == phase:
            os.kill(os.getpid(), signal.SIGKILL)

    node = open_member(folder, roster, None)
    node.after_persist = crash
    node.logbook.after_persist = crash
    serve_forever(start(node, node.folder.listen))


if __name__ == "__main__":
    main()
