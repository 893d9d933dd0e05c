"""A council of member processes on loopback for the ceremony benchmarks: folders in a temporary
directory (insecure, no passphrase), one `python -m council.node serve` process per member, and
every process killed on close."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from council.driver.operator import OperatorFolder
from council.node.folder import MemberFolder, write_json
from council.node.ports import loopback_ports
from council.roster import Roster

ROOT = Path(__file__).resolve().parent.parent
SERVING = '"event": "serving"'


class StartError(RuntimeError):
    """A member process exited or did not start serving in time."""


def _free_ports(count: int) -> list[int]:
    """Distinct loopback ports (council.node.ports never hands one out twice)."""
    return loopback_ports(count)


def _env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("KEYCOUNCIL_PASSPHRASE", None)
    return e


class NetCouncil:
    """Member folders, rosters and member processes under one temporary directory.

    Use as a context manager: on exit every member process is SIGKILLed and the folder removed."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="keycouncil-bench-", dir=os.environ.get("KEYCOUNCIL_BENCH_DIR"))
        self.base = Path(self._tmp.name)
        self.members: dict[str, MemberFolder] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.roster_files: dict[str, Path] = {}
        try:
            self.operator = OperatorFolder.init(self.base / "operator", "bench-ops", None)
        except BaseException:
            self._tmp.cleanup()
            raise

    def __enter__(self) -> NetCouncil:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_members(self, names: Sequence[str]) -> None:
        for name, port in zip(names, _free_ports(len(names)), strict=True):
            self.members[name] = MemberFolder.init(self.base / name, name, f"127.0.0.1:{port}", None)

    def roster(self, label: str, threshold: int, names: Sequence[str]) -> Roster:
        r = Roster(threshold, tuple(self.members[n].card() for n in names), (self.operator.card(),))
        path = self.base / f"roster-{label}.json"
        write_json(path, r.to_json())
        self.roster_files[label] = path
        return r

    def start(self, names: Sequence[str], roster_label: str, timeout: float) -> float:
        """Spawn the members' processes at once; seconds until every one logged `serving`."""
        roster = str(self.roster_files[roster_label])
        began = time.perf_counter()
        for name in names:
            with open(self.base / f"{name}.stderr", "ab") as log:
                self.procs[name] = subprocess.Popen(
                    [sys.executable, "-m", "council.node", "serve", str(self.base / name), "--roster", roster,
                     "--insecure-no-passphrase"],
                    cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=_env())
        self._wait_serving(names, began + timeout)
        return time.perf_counter() - began

    def _wait_serving(self, names: Sequence[str], deadline: float) -> None:
        waiting = list(names)
        while waiting:
            still = []
            for name in waiting:
                log = self.base / name / "log" / "events.jsonl"
                if log.exists() and SERVING in log.read_text():
                    continue
                if self.procs[name].poll() is not None:
                    raise StartError(f"member {name} exited with code {self.procs[name].returncode}: "
                                     + self.stderr_tail(name))
                still.append(name)
            waiting = still
            if waiting and time.perf_counter() > deadline:
                raise StartError(f"{len(waiting)} member(s) not serving after the start-up timeout "
                                 f"(first: {waiting[0]})")
            if waiting:
                time.sleep(0.05)

    def stderr_tail(self, name: str, lines: int = 3) -> str:
        path = self.base / f"{name}.stderr"
        text = path.read_text(errors="replace") if path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def close(self) -> None:
        """SIGKILL every member process, wait for each, remove the folder."""
        try:
            for p in self.procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
            for p in self.procs.values():
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            self.procs.clear()
        finally:
            self._tmp.cleanup()
