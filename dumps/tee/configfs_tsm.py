"""Linux's configfs-tsm report interface (Linux >= 6.7): TDX, SEV-SNP and other TSMs.

Protocol (Documentation/ABI/testing/configfs-tsm): a report entry is a directory made with mkdir
under /sys/kernel/config/tsm/report; `inblob` (write only) takes up to 64 bytes of user data,
`outblob` (read only) is the report made from it, in the format named by `provider` (`tdx_guest`:
an Intel TDX DCAP quote; `sev_guest`: an SEV-SNP report). `generation` counts writes to the entry,
so a reader can tell that another process wrote between its write and its read.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dumps.tee.errors import ConcurrentReportWrite, TeeInterfaceError
from dumps.tee.pseudofs import OsPseudoFiles, PseudoFiles

TSM_REPORT_ROOT: Final = Path("/sys/kernel/config/tsm/report")
INBLOB_MAX: Final = 64  # TSM_REPORT_INBLOB_MAX
OUTBLOB_MAX: Final = 32 * 1024  # TSM_REPORT_OUTBLOB_MAX
SMALL_ATTRIBUTE_MAX: Final = 256


@dataclass(frozen=True)
class TsmReport:
    """What one request returned: the provider's name, the report and the generation it had."""

    provider: str
    outblob: bytes
    generation: int


def parse_generation(raw: bytes, path: Path) -> int:
    """The `generation` attribute: a decimal counter followed by a newline."""
    text = raw.decode("ascii", "replace").strip()
    if not text.isdigit() or not text.isascii():
        raise TeeInterfaceError(f"{path}: expected a decimal counter, got {text[:40]!r}")
    return int(text)


class ConfigfsTsm:
    """Ask the kernel's TSM for a report over 64 bytes of user data, in a fresh entry."""

    name: Final = "configfs-tsm"

    def __init__(self, root: Path = TSM_REPORT_ROOT, files: PseudoFiles | None = None) -> None:
        self.root = root
        self.files: PseudoFiles = files or OsPseudoFiles()

    def available(self) -> bool:
        """True when the report directory exists (configfs mounted, tsm support in the kernel)."""
        return self.files.is_dir(self.root)

    def report(self, inblob: bytes) -> TsmReport:
        """(1) mkdir a private entry, (2) read provider and generation, (3) write inblob,
        (4) read outblob, (5) check generation advanced by exactly our one write, (6) rmdir."""
        if not 0 < len(inblob) <= INBLOB_MAX:
            raise ValueError(f"inblob must be 1..{INBLOB_MAX} bytes")
        entry = self.root / f"keycouncil-{os.getpid()}-{secrets.token_hex(6)}"
        self.files.mkdir(entry)  # (1) one entry per request: nobody else knows its name
        try:
            result = self._request(entry, inblob)
        except BaseException:
            with contextlib.suppress(TeeInterfaceError):  # keep the first error
                self.files.rmdir(entry)
            raise
        self.files.rmdir(entry)  # (6)
        return result

    def _request(self, entry: Path, inblob: bytes) -> TsmReport:
        # (2)
        provider = self._text(entry / "provider")
        before = parse_generation(self.files.read(entry / "generation", SMALL_ATTRIBUTE_MAX),
                                  entry / "generation")
        self.files.write(entry / "inblob", inblob)  # (3)
        outblob = self.files.read(entry / "outblob", OUTBLOB_MAX)  # (4)
        after = parse_generation(self.files.read(entry / "generation", SMALL_ATTRIBUTE_MAX),
                                 entry / "generation")
        if after != before + 1:  # (5)
            raise ConcurrentReportWrite(
                f"{entry}: generation went from {before} to {after} across our one write of "
                "inblob; another process wrote to this report entry, so outblob may not be ours")
        if not outblob:
            raise TeeInterfaceError(f"{entry / 'outblob'}: the TSM returned an empty report")
        return TsmReport(provider, outblob, after)

    def _text(self, path: Path) -> str:
        return self.files.read(path, SMALL_ATTRIBUTE_MAX).decode("ascii", "replace").strip()
