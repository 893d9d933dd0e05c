"""Gramine's /dev/attestation pseudo-filesystem (SGX enclaves run under Gramine).

Protocol (Gramine, Documentation/attestation.rst, "Low-level /dev/attestation interface"):
`attestation_type` reads `none`, `epid` or `dcap` (set by `sgx.remote_attestation` in the
manifest); write 64 bytes to `user_report_data`, then read `quote`: an SGX quote whose report
data is those bytes. The files are process-local, so no locking is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from dumps.tee.errors import TeeInterfaceError
from dumps.tee.pseudofs import OsPseudoFiles, PseudoFiles

ATTESTATION_ROOT: Final = Path("/dev/attestation")
REPORT_DATA_SIZE: Final = 64
QUOTE_MAX: Final = 64 * 1024


class GramineAttestation:
    """Ask Gramine for a DCAP quote over 64 bytes of report data."""

    name: Final = "Gramine /dev/attestation"

    def __init__(self, root: Path = ATTESTATION_ROOT, files: PseudoFiles | None = None) -> None:
        self.root = root
        self.files: PseudoFiles = files or OsPseudoFiles()

    def available(self) -> bool:
        """True inside a Gramine enclave (the pseudo-filesystem is mounted)."""
        return self.files.is_dir(self.root)

    def attestation_type(self) -> str:
        """`none`, `epid` or `dcap`."""
        return self.files.read(self.root / "attestation_type", 64).decode("ascii", "replace").strip()

    def quote(self, report_data: bytes) -> bytes:
        """(1) check the attestation type is dcap, (2) write user_report_data, (3) read quote."""
        kind = self.attestation_type()  # (1)
        if kind != "dcap":
            raise TeeInterfaceError(
                f"{self.root / 'attestation_type'} is {kind[:20]!r}: keycouncil admits only DCAP "
                "quotes; set sgx.remote_attestation = \"dcap\" in the Gramine manifest")
        if len(report_data) != REPORT_DATA_SIZE:
            raise ValueError(f"SGX report data is {REPORT_DATA_SIZE} bytes")
        self.files.write(self.root / "user_report_data", report_data)  # (2)
        quote = self.files.read(self.root / "quote", QUOTE_MAX)  # (3)
        if not quote:
            raise TeeInterfaceError(f"{self.root / 'quote'}: Gramine returned an empty quote")
        return quote
