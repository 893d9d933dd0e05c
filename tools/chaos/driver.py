"""`python -m tools.chaos.driver PLAN ARGS...`: `keycouncil ARGS` with kill points.

The driver (a ceremony, a catch-up, a recovery) counts its gRPC calls (`tools.chaos.faults`) and
SIGKILLs itself at the call the plan file PLAN names: before it leaves, or once its answer came
back and before the driver acts on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from council.localnet.member_process import tie_to_parent
from tools.chaos.faults import KillSwitch, install_grpc


def main() -> None:
    plan = Path(sys.argv[1])
    tie_to_parent()
    install_grpc(KillSwitch(plan))
    sys.argv = ["keycouncil", *sys.argv[2:]]
    from cli.main import main as keycouncil

    keycouncil()


if __name__ == "__main__":
    main()
