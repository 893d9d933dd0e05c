"""Kill points inside a chaos process: SIGKILL itself at the k-th durable step it takes.

Installed by `tools.chaos.member` (a member process) and `tools.chaos.driver` (the driver). A
*step* is one file-system mutation under the watched folder (open for writing, fsync, rename,
unlink, rmdir) or, in the driver, one gRPC call. The campaign arms a process by writing a plan
file (JSON: `arm` id, `at` = k, `when` = "before" | "after" the k-th step); steps are counted from
the moment a new plan is seen, so a plan aims at one stage (a DKG, a re-share, a recovery). A
missing plan file disarms. With `at` = 0 the process only counts (calibration: the count is
written to `count_file`). The kill is SIGKILL to the own pid: no handler, no flush, no cleanup.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_REAL_OPEN = builtins.open
_REAL_OS_OPEN = os.open
_REAL_STAT = os.stat
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
IGNORED_NAMES = ("events.jsonl",)
"""Appends to the event log are not steps: a kill there is no different from the step before."""


class KillSwitch:
    """Counts steps and SIGKILLs this process at the armed one."""

    def __init__(self, plan_path: Path) -> None:
        self.plan_path = plan_path
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._plan: dict[str, Any] | None = None
        self.count = 0

    def _current(self) -> dict[str, Any] | None:
        try:
            st = _REAL_STAT(self.plan_path)
        except OSError:
            self._seen, self._plan = None, None
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._seen:
            try:
                with _REAL_OPEN(self.plan_path, "rb") as f:
                    plan = json.loads(f.read())
            except (OSError, ValueError):
                return self._plan  # being rewritten: keep the previous plan this once
            if self._plan is None or plan.get("arm") != self._plan.get("arm"):
                self.count = 0
            self._seen, self._plan = stamp, plan
        return self._plan

    def step(self, what: str, when: str) -> None:
        """Called before and after every step; kills at the armed one."""
        with self._lock:
            plan = self._current()
            if plan is None:
                return
            if when == "before":
                self.count += 1
                if plan.get("count_file"):
                    with _REAL_OPEN(plan["count_file"], "w") as f:
                        f.write(str(self.count))
            if plan.get("at") == self.count and plan.get("when") == when:
                os.kill(os.getpid(), signal.SIGKILL)


def _wrap(switch: KillSwitch, what: str, real: Callable[..., Any],
          watched: Callable[..., bool]) -> Callable[..., Any]:
    def hooked(*args: Any, **kwargs: Any) -> Any:
        if not watched(*args, **kwargs):
            return real(*args, **kwargs)
        switch.step(what, "before")
        out = real(*args, **kwargs)
        switch.step(what, "after")
        return out
    hooked.__name__ = getattr(real, "__name__", what)
    return hooked


def install_fs(switch: KillSwitch, folder: Path) -> None:
    """Count every file-system mutation under `folder` (the member's data folder)."""
    root = str(folder.resolve())

    def under(path: Any) -> bool:
        try:
            p = os.path.abspath(os.fspath(path))
        except TypeError:
            return False
        return p.startswith(root) and os.path.basename(p) not in IGNORED_NAMES

    def fd_under(fd: Any, *_: Any, **__: Any) -> bool:
        try:
            return under(os.readlink(f"/proc/self/fd/{int(fd)}"))
        except (OSError, ValueError, TypeError):
            return False

    def open_for_write(file: Any, mode: str = "r", *_: Any, **__: Any) -> bool:
        return not isinstance(file, int) and any(c in mode for c in "wax+") and under(file)

    def os_open_for_write(path: Any, flags: int, *_: Any, **__: Any) -> bool:
        return bool(flags & WRITE_FLAGS) and under(path)

    def first_under(path: Any, *_: Any, **__: Any) -> bool:
        return under(path)

    hooked_open = _wrap(switch, "open", _REAL_OPEN, open_for_write)
    builtins.open = hooked_open
    io.open = hooked_open
    os.open = _wrap(switch, "open", _REAL_OS_OPEN, os_open_for_write)
    os.fsync = _wrap(switch, "fsync", os.fsync, fd_under)
    os.replace = _wrap(switch, "rename", os.replace, first_under)
    os.rename = _wrap(switch, "rename", os.rename, first_under)
    os.unlink = _wrap(switch, "unlink", os.unlink, first_under)
    os.remove = _wrap(switch, "unlink", os.remove, first_under)
    os.rmdir = _wrap(switch, "rmdir", os.rmdir, first_under)
    shutil.rmtree = _wrap(switch, "rmtree", shutil.rmtree, first_under)


def install_grpc(switch: KillSwitch) -> None:
    """Count every unary gRPC call this process makes (the driver): before it leaves, after the
    answer came back (the member persisted and answered; the driver has not used it yet)."""
    import grpc

    class Interceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
        def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            switch.step("call", "before")
            outcome = continuation(details, request)
            try:
                outcome.result()
            except grpc.RpcError:
                pass
            switch.step("call", "after")
            return outcome

    real_secure = grpc.secure_channel

    def secure_channel(*args: Any, **kwargs: Any) -> Any:
        return grpc.intercept_channel(real_secure(*args, **kwargs), Interceptor())

    grpc.secure_channel = secure_channel


def write_plan(path: Path, arm: str, at: int, when: str, count_file: Path | None = None) -> None:
    """Arm the process watching `path` (written atomically, outside the member's folder)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"arm": arm, "at": at, "when": when,
                               "count_file": str(count_file) if count_file else None}))
    os.replace(tmp, path)


def disarm(path: Path) -> None:
    path.unlink(missing_ok=True)
