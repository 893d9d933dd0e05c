"""Helpers for the folders of members and operators: passphrases, JSON files, one error type.

Shared by the member node (`council.node.folder`) and the clients' operator folder
(`council.driver.operator`), so neither reaches into the other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from council.errors import KeycouncilError, StorageError
from council.roster import Roster
from council.storage.environ import scrub
from council.storage.files import read_file, write_atomic

PASSPHRASE_ENV = "KEYCOUNCIL_PASSPHRASE"


class FolderError(KeycouncilError):
    """A data folder cannot be created or opened as asked."""


def read_passphrase(passphrase_file: Path | None, insecure: bool) -> bytes | None:
    """The passphrase from a file or KEYCOUNCIL_PASSPHRASE (then removed from the environment,
    council.storage.environ); None only with the insecure flag."""
    if passphrase_file is not None:
        data = read_file(passphrase_file, "passphrase file").rstrip(b"\r\n")
        if not data:
            raise FolderError(f"{passphrase_file}: passphrase file is empty")
        return data
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        scrub(PASSPHRASE_ENV)  # read once: gone from os.environ and from /proc/PID/environ
        return env.encode()
    if insecure:
        return None
    raise FolderError(f"no passphrase: give --passphrase-file, set {PASSPHRASE_ENV}, "
                      "or --insecure-no-passphrase for development")


def write_json(path: Path, obj: Any, indent: int | None = 2) -> bytes:
    """Write `obj` as JSON with sorted keys (atomically); the bytes written. `indent=None` writes
    one line through json's C encoder (an indent takes the pure-Python one, about 3x slower)."""
    raw = (json.dumps(obj, indent=indent, sort_keys=True) + "\n").encode()
    write_atomic(path, raw)
    return raw


def read_json(path: Path, what: str) -> dict[str, Any]:
    return parse_json(read_file(path, what), path, what)


def parse_json(raw: bytes, path: Path, what: str) -> dict[str, Any]:
    """A JSON object read from `path`, or a StorageError naming the file."""
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StorageError(f"{path}: {what} is not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise StorageError(f"{path}: {what} must be a JSON object")
    return obj


def load_roster(path: Path) -> Roster:
    """Read and validate a roster file."""
    return Roster.loads(read_file(path, "roster"), str(path))
