"""Test doubles that play the platform's side of configfs-tsm and Gramine's /dev/attestation.

Why this design. The real interfaces are pseudo-files: the kernel populates a report entry the
moment it is made with mkdir, counts writes in `generation`, and makes `outblob` when it is read;
Gramine makes `quote` when it is read. A plain directory cannot react to a write, and a helper
thread that polls for the written inblob would race the provider (which reads outblob right after
writing, with no reason to wait on a real kernel), so production code would need test-only retries.
Instead every provider does its I/O through a `PseudoFiles` object (dumps/tee/pseudofs.py). The
doubles below subclass the real `OsPseudoFiles`: every read, write, mkdir and rmdir is still the
production system call on a real directory laid out like the interface; the subclass only adds the
platform's reactions, at the moment the platform itself would react (mkdir populates the entry, a
write to inblob bumps generation, a read of outblob or quote produces it from what was written).

For the CLI, which builds its own `OsPseudoFiles`, `serve_quote_fifo` plays Gramine with no hook
at all: `quote` is a named pipe, and a thread opens its write end only once the provider has
opened it for reading, i.e. after `user_report_data` was written and closed. configfs-tsm cannot
be played that way (mkdir of an entry in a plain directory does not create the attributes), so
the configfs-tsm provider is tested through the library and the CLI only for platform detection.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from dumps.tee.pseudofs import OsPseudoFiles

MakeQuote = Callable[[bytes], bytes]


class TsmKernel(OsPseudoFiles):
    """The kernel's configfs-tsm side on a plain directory `root` (the `tsm/report` folder)."""

    def __init__(self, root: Path, make_report: MakeQuote, provider: str = "tdx_guest",
                 meddle: bool = False) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.make_report, self.provider, self.meddle = root, make_report, provider, meddle
        self.entries: list[str] = []  # every entry made, for the tests
        self.inblobs: list[bytes] = []

    def mkdir(self, path: Path) -> None:
        super().mkdir(path)
        if path.parent == self.root:  # the kernel creates the attributes with the entry
            (path / "provider").write_text(self.provider + "\n")
            (path / "generation").write_text("0\n")
            (path / "inblob").write_bytes(b"")
            self.entries.append(path.name)

    def write(self, path: Path, data: bytes) -> None:
        super().write(path, data)
        if path.name == "inblob":
            self._bump(path.parent)

    def read(self, path: Path, limit: int) -> bytes:
        if path.name == "outblob":  # the kernel asks the TSM for the report on read
            inblob = (path.parent / "inblob").read_bytes()
            self.inblobs.append(inblob)
            path.write_bytes(self.make_report(inblob))
            if self.meddle:  # another process writes inblob between our write and our read
                (path.parent / "inblob").write_bytes(bytes(64))
                self._bump(path.parent)
        return super().read(path, limit)

    def rmdir(self, path: Path) -> None:
        for child in path.iterdir():  # attributes go away with the entry
            child.unlink()
        super().rmdir(path)

    @staticmethod
    def _bump(entry: Path) -> None:
        counter = entry / "generation"
        counter.write_text(f"{int(counter.read_text()) + 1}\n")


class GramineSide(OsPseudoFiles):
    """Gramine's /dev/attestation on a plain directory: `quote` is made when it is read."""

    def __init__(self, root: Path, make_quote: MakeQuote, attestation_type: str = "dcap") -> None:
        layout_gramine(root, attestation_type)
        self.root, self.make_quote = root, make_quote
        self.report_data: list[bytes] = []

    def read(self, path: Path, limit: int) -> bytes:
        if path == self.root / "quote":
            data = (self.root / "user_report_data").read_bytes()
            self.report_data.append(data)
            path.write_bytes(self.make_quote(data))
        return super().read(path, limit)


def layout_gramine(root: Path, attestation_type: str = "dcap") -> None:
    """The files Gramine shows under /dev/attestation (those keycouncil uses)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "attestation_type").write_text(attestation_type)
    (root / "user_report_data").write_bytes(bytes(64))


def serve_quote_fifo(root: Path, make_quote: MakeQuote, timeout: float = 30.0) -> threading.Thread:
    """Make `root/quote` a named pipe answered once from `user_report_data`; return the thread."""
    os.mkfifo(root / "quote")

    def serve() -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:  # succeeds only once a reader has the pipe open
                fd = os.open(root / "quote", os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                    return
                time.sleep(0.01)
        try:
            os.set_blocking(fd, True)
            data = memoryview(make_quote((root / "user_report_data").read_bytes()))
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread
