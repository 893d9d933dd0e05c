"""The admission policy file: re-read on change, edited atomically under a lock.

`PolicyFile(path).current()` stats the file on every call and re-reads it when its inode,
mtime or size changed, so an edit (for example a freeze) takes effect without a restart.
Writes go to a temp file in the same folder, are fsynced, renamed over the policy, and the
folder is fsynced, so a crash leaves either the old or the new policy, never a torn one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from council.attestation.policy_json import policy_from_json, policy_to_json
from council.attestation.policy_model import Policy, PolicyFileError


class PolicyFile:
    """A policy file, re-read whenever it changes (inode, mtime or size)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int, int] | None = None
        self._policy: Policy | None = None

    def current(self) -> Policy:
        """The policy as the file says now (fails closed if the file is gone or broken)."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise PolicyFileError(f"cannot read policy {self.path}: {exc.strerror}") from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp or self._policy is None:
            self._policy, self._stamp = read_policy(self.path), stamp
        return self._policy

    def update(self, edit: Callable[[Policy], Policy]) -> Policy:
        """Apply `edit` to the file's policy under a lock and write the result atomically."""
        with _locked(self.path):
            policy = edit(read_policy(self.path))
            write_policy(self.path, policy)
        return policy


def read_policy(path: Path) -> Policy:
    """Read and check a policy file."""
    try:
        obj = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise PolicyFileError(f"cannot read policy {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise PolicyFileError(f"policy {path} is not JSON: {exc}") from None
    return policy_from_json(obj)


def write_policy(path: Path, policy: Policy) -> None:
    """Write atomically: temp file in the same folder, fsync, rename, fsync the folder."""
    path = Path(path)
    data = (json.dumps(policy_to_json(policy), indent=2) + "\n").encode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `<policy>.lock`, serializing concurrent editors."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
