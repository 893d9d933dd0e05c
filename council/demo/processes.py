"""The demo's council on loopback: member data folders, one process per member, SIGKILL.

Each member is a real `python -m council.node serve FOLDER --roster ROSTER` process (through
`council.demo.member_process`, which also dies with the demo), logging to `logs/NAME.log`. A member
is serving once its event log records `serving`: its port accepts mutual TLS from then on.
`close()` SIGKILLs every process still running; the demo calls it on every exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from council.demo.member_process import PARENT_ENV
from council.driver.operator import OperatorFolder
from council.errors import KeycouncilError
from council.node.folder import PASSPHRASE_ENV, MemberFolder, write_json
from council.node.ports import loopback_port
from council.roster import Roster

SERVING = '"event": "serving"'
RELEASE_POLICY_NAME = "release-policy.toml"
DEMO_RELEASE_POLICY = """\
# keycouncil demo: this member releases shares for dumps of SIMULATED (INSECURE) enclaves.
# A real member keeps the defaults: require_admitted_sealer = true, allow_simulated = false.
[release]
require_admitted_sealer = false
allow_simulated = true
"""


class DemoFailed(KeycouncilError):
    """A step of the demo did not do what it should; the message says which and why."""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (never the same twice)."""
    return loopback_port()


@dataclass
class LocalCouncil:
    """Member folders, the operator, rosters and member processes under one base folder."""

    base: Path
    members: dict[str, MemberFolder] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _serving_seen: dict[str, int] = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    def init_member(self, name: str) -> MemberFolder:
        """`member init` without a passphrase (INSECURE, demo only) and the demo release policy."""
        folder = MemberFolder.init(self.base / name, name, f"127.0.0.1:{free_port()}", None)
        (folder.path / RELEASE_POLICY_NAME).write_text(DEMO_RELEASE_POLICY)
        self.members[name] = folder
        return folder

    def init_operator(self, name: str) -> OperatorFolder:
        """`operator new` without a passphrase (INSECURE, demo only)."""
        return OperatorFolder.init(self.base / "operator", name, None)

    def write_roster(self, label: str, threshold: int, names: Sequence[str], operator: OperatorFolder) -> tuple[Roster, Path]:
        """`roster new`: the members' cards in this order, the operator's card."""
        roster = Roster(threshold, tuple(self.members[n].card() for n in names), (operator.card(),))
        path = self.base / f"roster-{label}.json"
        write_json(path, roster.to_json())
        return roster, path

    def start(self, names: Sequence[str], roster_path: Path, timeout: float = 60.0) -> None:
        """Start one process per member, then wait until every one serves."""
        self.logs.mkdir(exist_ok=True)
        for name in names:
            self._spawn(name, roster_path)
        deadline = time.monotonic() + timeout
        for name in names:
            self._wait_serving(name, deadline)

    def _spawn(self, name: str, roster_path: Path) -> None:
        if name in self.procs and self.procs[name].poll() is None:
            raise DemoFailed(f"{name} is already running")
        self._serving_seen[name] = self._serving_count(name)
        env = dict(os.environ)
        env.pop(PASSPHRASE_ENV, None)  # the demo's folders have none
        env[PARENT_ENV] = str(os.getpid())
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with open(self.logs / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "council.demo.member_process", "serve", str(self.base / name),
                 "--roster", str(roster_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=self.base)

    def _serving_count(self, name: str) -> int:
        log = self.base / name / "log" / "events.jsonl"
        return log.read_text(errors="replace").count(SERVING) if log.exists() else 0

    def _wait_serving(self, name: str, deadline: float) -> None:
        proc = self.procs[name]
        while self._serving_count(name) <= self._serving_seen[name]:
            if proc.poll() is not None:
                raise DemoFailed(f"{name} exited with code {proc.returncode} before serving: "
                                 f"{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise DemoFailed(f"{name} did not start serving in time: {self.log_tail(name)}")
            time.sleep(0.05)

    def log_tail(self, name: str, lines: int = 3) -> str:
        """The last lines a member wrote (for error messages)."""
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        return " | ".join(text.splitlines()[-lines:]) or "(no output)"

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def running(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is None]

    def kill_all(self) -> list[str]:
        """SIGKILL every running member (no chance to clean up); the names that were running."""
        killed = self.running()
        for name in killed:
            self.procs[name].send_signal(signal.SIGKILL)
        for p in self.procs.values():
            p.wait()
        self.procs.clear()
        return killed

    def close(self) -> None:
        """Kill whatever still runs; safe to call more than once."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()
