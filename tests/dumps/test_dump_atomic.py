"""Atomic output with early write-back: data passes through unchanged, a write-back error is not
lost (the kernel reports it to one fsync only), and nothing is published after a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from council.errors import StorageError
from dumps import atomic


def test_large_output_is_written_back_early_and_published_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.fdatasync
    monkeypatch.setattr(atomic, "WRITEBACK_BYTES", 1024)
    monkeypatch.setattr(atomic.os, "fdatasync", lambda fd: (calls.append(fd), real(fd)))
    block = os.urandom(4096)
    with atomic.atomic_output(tmp_path / "big", 0o600) as sink:
        for _ in range(16):
            sink.write(block)
    assert (tmp_path / "big").read_bytes() == block * 16
    assert calls, "no early write-back was started"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big"]


def test_a_write_back_error_fails_the_output_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic, "WRITEBACK_BYTES", 1024)
    monkeypatch.setattr(atomic.os, "fdatasync", failing)
    with pytest.raises(StorageError, match="Input/output error"):
        with atomic.atomic_output(tmp_path / "big", 0o600) as sink:
            for _ in range(8):
                sink.write(bytes(4096))
    assert list(tmp_path.iterdir()) == []
