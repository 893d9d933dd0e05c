"""Member processes on loopback: start, wait until serving, SIGKILL — the one place that does it.

Each member is a real `python -m council.localnet.member_process serve FOLDER --roster ROSTER`
process (`python -m council.node` tied to its parent with PR_SET_PDEATHSIG, so no member outlives
the test, demo or benchmark that started it). A member is serving once its event log records one
more `serving` event than before the start: its port accepts mutual TLS from then on. The tests,
the demo and the benchmarks all start members through `MemberProcesses`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from council.errors import KeycouncilError
from council.localnet.member_process import PARENT_ENV
from council.storage.folders import PASSPHRASE_ENV

ROOT = Path(__file__).resolve().parents[2]
SERVING = '"event": "serving"'


class StartError(KeycouncilError):
    """A member process exited, or did not start serving in time; the message says which."""


def member_command(folder: Path, roster: Path | None, *extra: str) -> list[str]:
    """The argv (after the interpreter) of a member process tied to its parent."""
    args = ["-m", "council.localnet.member_process", "serve", str(folder)]
    if roster is not None:
        args += ["--roster", str(roster)]
    return args + list(extra)


def child_env() -> dict[str, str]:
    """This process's environment for a member: the checkout importable, no passphrase in it."""
    env = dict(os.environ)
    env.pop(PASSPHRASE_ENV, None)
    env[PARENT_ENV] = str(os.getpid())
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def serving_count(folder: Path) -> int:
    """How many times the member of `folder` has logged `serving`."""
    log = folder / "log" / "events.jsonl"
    return log.read_text(errors="replace").count(SERVING) if log.exists() else 0


class MemberProcesses:
    """Running member processes by name; logs (stdout and stderr) in `log_dir/NAME.log`."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._folders: dict[str, Path] = {}
        self._serving_before: dict[str, int] = {}
        self._lock = threading.Lock()
        self.closed = False

    def spawn(self, name: str, folder: Path, argv: Sequence[str], cwd: Path | None = None) -> None:
        """Start `python ARGV` for member `name` (see `member_command`); does not wait."""
        with self._lock:
            if self.closed:  # a restart thread that outlived its owner starts nothing
                return
            if name in self.procs and self.procs[name].poll() is None:
                raise StartError(f"{name} is already running")
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._folders[name], self._serving_before[name] = folder, serving_count(folder)
            with open(self.log_path(name), "ab") as log:
                self.procs[name] = subprocess.Popen(
                    [sys.executable, *argv], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    env=child_env(), cwd=cwd or ROOT)

    def wait_serving(self, names: Iterable[str], timeout: float = 60.0) -> None:
        """Wait until each started member logged a new `serving`; StartError names the first not."""
        deadline = time.monotonic() + timeout
        for name in names:
            while serving_count(self._folders[name]) <= self._serving_before[name]:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise StartError(f"{name} exited with code {proc.returncode} before serving: "
                                     f"{self.log_tail(name)}")
                if time.monotonic() > deadline:
                    raise StartError(f"{name} did not start serving in time: {self.log_tail(name)}")
                time.sleep(0.05)
            self._serving_before[name] = serving_count(self._folders[name])

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, lines: int = 3) -> str:
        """The last lines a member wrote (for error messages)."""
        path = self.log_path(name)
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        return " | ".join(text.splitlines()[-lines:]) or "(no output)"

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def running(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is None]

    def kill(self, name: str) -> None:
        """SIGKILL one member (no chance to clean up) and reap it."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def kill_all(self) -> list[str]:
        """SIGKILL every running member; the names that were running."""
        killed = self.running()
        for name in list(self.procs):
            self.kill(name)
        return killed

    def close(self) -> None:
        """Kill whatever still runs and start nothing more; safe to call more than once."""
        with self._lock:
            self.closed = True
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
            for proc in self.procs.values():
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            self.procs.clear()
