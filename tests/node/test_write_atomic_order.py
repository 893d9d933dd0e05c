"""`write_atomic`: data goes to a temporary file in the same folder, is fsynced, renamed over the
target, and the folder is fsynced; the target is never opened for writing (council/storage/files.py;
`make mutants`). Observed by wrapping the os calls it makes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from council.storage import files


def test_temp_fsync_rename_then_folder_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "epoch.json"
    target.write_bytes(b"old")
    calls: list[tuple[str, str]] = []
    real_open, real_fsync, real_replace = os.open, os.fsync, os.replace

    def op(path: Any, flags: int, *rest: Any) -> int:
        fd = real_open(path, flags, *rest)
        calls.append(("open-w" if flags & (os.O_WRONLY | os.O_RDWR) else "open-r", Path(path).name))
        return fd

    def fsync(fd: int) -> None:
        calls.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        calls.append(("rename", f"{Path(src).name}->{Path(dst).name}"))
        real_replace(src, dst)
    monkeypatch.setattr(os, "open", op)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    real_builtin_open = open

    def no_in_place(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        assert not (Path(str(file)) == target and any(c in mode for c in "wa+")), "target opened in place"
        return real_builtin_open(file, mode, *a, **k)
    monkeypatch.setattr("builtins.open", no_in_place)
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: pytest.fail(f"{self} written in place"))

    files.write_atomic(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"new"
    temp = calls[0][1]
    assert calls[0] == ("open-w", temp) and temp.startswith(".epoch.json.") and temp.endswith(".tmp"), calls
    assert calls[1] == ("fsync", temp), calls
    assert calls[2] == ("rename", f"{temp}->epoch.json"), calls
    assert calls[3][0] == "open-r" and calls[4] == ("fsync", tmp_path.name), calls
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
