"""`python -m tools.chaos.member PLAN serve FOLDER --roster R`: a member process with kill points.

Exactly `python -m council.localnet.member_process serve ...` (tied to its parent, then
`council.node`), with `tools.chaos.faults` counting the member's file-system steps under FOLDER
and SIGKILLing it at the step the plan file PLAN names (no plan file: never).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from council.localnet.member_process import tie_to_parent
from tools.chaos.faults import KillSwitch, install_fs


def main() -> None:
    plan, argv = Path(sys.argv[1]), sys.argv[2:]
    folder = Path(argv[argv.index("serve") + 1])
    tie_to_parent()
    install_fs(KillSwitch(plan), folder)
    sys.argv = ["council.node", *argv]
    runpy.run_module("council.node", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
