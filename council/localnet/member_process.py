"""`python -m council.localnet.member_process serve FOLDER --roster R`: `python -m council.node`, tied to
the demo that started it.

The demo kills its members itself on every exit it sees (end, failure, Ctrl-C, SIGTERM). This
wrapper covers the one it cannot see: if the demo is SIGKILLed (a test timeout, the OOM killer),
Linux delivers SIGKILL to the member too (PR_SET_PDEATHSIG), so no member outlives its demo. Then
it runs `council.node` exactly as `python -m council.node` does.
"""

from __future__ import annotations

import os
import runpy

from council.localnet import tied

PARENT_ENV = "KEYCOUNCIL_DEMO_PARENT"


def tie_to_parent() -> None:
    """Ask Linux for SIGKILL when the parent exits; exit now if it already has."""
    parent = os.environ.get(PARENT_ENV)
    if parent is not None and parent.isdigit():
        tied.tie_to_parent(int(parent))
    else:  # started by hand: nothing to check against, only the signal to ask for
        tied.tie_to_parent(os.getppid())


if __name__ == "__main__":
    tie_to_parent()
    runpy.run_module("council.node", run_name="__main__", alter_sys=True)
