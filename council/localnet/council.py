"""A council on loopback: member data folders, the operator, rosters and member processes.

Used by the demo, the tests and the benchmarks. Folders are created without a passphrase
(INSECURE, for local councils only) and each member gets a fresh loopback port. Processes are
started and stopped by `council.localnet.processes.MemberProcesses`; `close()` SIGKILLs every one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from council.driver.operator import OperatorFolder
from council.errors import KeycouncilError
from council.localnet.ports import loopback_port
from council.localnet.processes import MemberProcesses, member_command
from council.node.folder import MemberFolder
from council.roster import Roster
from council.storage.folders import write_json
from dumps.sealer import SealingIdentity

RELEASE_POLICY_NAME = "release-policy.toml"
DEMO_RELEASE_POLICY = """\
# keycouncil demo: this member releases shares for dumps of SIMULATED (INSECURE) enclaves.
# A real member keeps the defaults: require_admitted_sealer = true, allow_simulated = false.
[release]
require_admitted_sealer = false
allow_simulated = true
"""


TEST_GOVERNANCE = """\
# A local council for tests and benchmarks: this member approves roster changes, recovery
# requests and older-dump decisions by itself (a real member keeps the default: its operator
# approves each one).
[auto_approve]
kinds = ["roster-proposed", "recovery-requested", "older-dump-allowed"]
[auto_approve.roster]
max_members_changed = 1000
allow_lower_threshold = true
"""


class DemoFailed(KeycouncilError):
    """A step of the demo did not do what it should; the message says which and why."""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (never the same twice)."""
    return loopback_port()


class LocalCouncil:
    """Member folders, an operator, rosters and member processes under one base folder."""

    def __init__(self, base: Path, operator_name: str = "ops", log_dir: Path | None = None) -> None:
        self.base = base
        self.operator_name = operator_name
        self.members: dict[str, MemberFolder] = {}
        self.roster_files: dict[str, Path] = {}
        self.processes = MemberProcesses(log_dir or base / "logs")
        self._operator: OperatorFolder | None = None

    @property
    def logs(self) -> Path:
        return self.processes.log_dir

    def init_member(self, name: str, passphrase: bytes | None = None,
                    release_policy: str | None = DEMO_RELEASE_POLICY,
                    governance: str | None = None) -> MemberFolder:
        """`member init` on a fresh loopback port (and the demo release policy unless None; a
        governance.toml if given, else the member's operator approves every widening entry)."""
        folder = MemberFolder.init(self.base / name, name, f"127.0.0.1:{free_port()}", passphrase)
        if release_policy is not None:
            (folder.path / RELEASE_POLICY_NAME).write_text(release_policy)
        if governance is not None:
            (folder.path / "governance.toml").write_text(governance)
        self.members[name] = folder
        return folder

    def add_members(self, names: Sequence[str], passphrase: bytes | None = None,
                    governance: str | None = TEST_GOVERNANCE) -> None:
        """Members without a release policy file (the member's defaults apply) that approve log
        entries by themselves unless `governance` is None (then their operators must)."""
        for name in names:
            self.init_member(name, passphrase, release_policy=None, governance=governance)

    def init_operator(self, name: str | None = None) -> OperatorFolder:
        """`operator new` without a passphrase (INSECURE, local councils only)."""
        if self._operator is None:
            self._operator = OperatorFolder.init(self.base / "operator", name or self.operator_name, None)
        return self._operator

    op = init_operator

    def write_roster(self, label: str, threshold: int, names: Sequence[str],
                     operator: OperatorFolder | None = None) -> tuple[Roster, Path]:
        """`roster new`: the members' cards in this order, the operator's card."""
        ops = operator or self.init_operator()
        roster = Roster(threshold, tuple(self.members[n].card() for n in names), (ops.card(),))
        path = self.base / f"roster-{label}.json"
        write_json(path, roster.to_json())
        self.roster_files[label] = path
        return roster, path

    def roster(self, label: str, threshold: int, names: Sequence[str]) -> Roster:
        return self.write_roster(label, threshold, names)[0]

    def spawn(self, name: str, roster_path: Path | None, *extra: str) -> None:
        """Start one member process (do not wait)."""
        self.processes.spawn(name, self.base / name, member_command(self.base / name, roster_path, *extra))

    def start(self, names: Sequence[str], roster_path: Path | None, timeout: float = 60.0, *extra: str) -> None:
        """Start one process per member, then wait until every one serves."""
        for name in names:
            self.spawn(name, roster_path, *extra)
        self.processes.wait_serving(names, timeout)

    def admit_sealer(self, roster: Roster, key_id: str, sealer: SealingIdentity) -> list[str]:
        """Admit a simulated sealer in `key_id`'s council log, each member's operator approving it
        (council.localnet.sealers); the summary of each entry appended."""
        from council.localnet.sealers import admit_simulated_sealer

        return [r.summary() for r in admit_simulated_sealer(self, roster, key_id, sealer)]

    def log_tail(self, name: str, lines: int = 3) -> str:
        return self.processes.log_tail(name, lines)

    def pid(self, name: str) -> int:
        return self.processes.pid(name)

    def running(self) -> list[str]:
        return self.processes.running()

    def kill(self, name: str) -> None:
        self.processes.kill(name)

    def kill_all(self) -> list[str]:
        """SIGKILL every running member (no chance to clean up); the names that were running."""
        return self.processes.kill_all()

    def close(self) -> None:
        """Kill whatever still runs; safe to call more than once."""
        self.processes.close()
