"""Evidence providers: ask the platform for a DCAP quote whose report data binds a sealer key.

`TdxProvider` goes through configfs-tsm (provider `tdx_guest`), `SgxProvider` through Gramine's
/dev/attestation. `provider_for` picks one for `--tee tdx|sgx` and says plainly when the platform
has no such interface. The report data is the binding of docs/dump-format.md, "Sealer evidence":
SHA-256("KEYCOUNCIL-V1-SIGNER" ‖ public key), then 32 zero bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Protocol

from dumps.evidence import key_binding
from dumps.tee.configfs_tsm import TSM_REPORT_ROOT, ConfigfsTsm
from dumps.tee.errors import NoTeeInterface, TeeInterfaceError
from dumps.tee.gramine import ATTESTATION_ROOT, GramineAttestation
from dumps.tee.pseudofs import PseudoFiles

EVIDENCE_TYPES: Final = {"tdx": "tdx-dcap", "sgx": "sgx-dcap"}
TSM_FORMATS: Final = {"tdx_guest": "tdx", "sev_guest": "SEV-SNP attestation report"}


def report_data_for(public_key: bytes) -> bytes:
    """The 64 bytes of report data a sealing TEE asks for: the key binding, zero-padded."""
    return key_binding(public_key) + bytes(32)


class EvidenceProvider(Protocol):
    """A platform interface that returns a quote over given report data."""

    @property
    def tee(self) -> str:
        """"tdx" or "sgx"."""

    @property
    def interface(self) -> str:
        """Where the quote comes from, for messages."""

    def available(self) -> bool: ...
    def quote(self, report_data: bytes) -> bytes: ...


class TdxProvider:
    """A TDX DCAP quote from configfs-tsm; refuses reports of other TSMs (SEV-SNP, ...)."""

    tee: Final = "tdx"

    def __init__(self, tsm: ConfigfsTsm) -> None:
        self.tsm = tsm
        self.interface = f"configfs-tsm ({tsm.root})"

    def available(self) -> bool:
        return self.tsm.available()

    def quote(self, report_data: bytes) -> bytes:
        report = self.tsm.report(report_data)
        if TSM_FORMATS.get(report.provider) != "tdx":
            what = TSM_FORMATS.get(report.provider, "an unknown report format")
            raise TeeInterfaceError(
                f"{self.interface}: the TSM provider is {report.provider[:40]!r} ({what}), not "
                "'tdx_guest'; keycouncil verifies Intel DCAP quotes only (tdx-dcap, sgx-dcap)")
        return report.outblob


class SgxProvider:
    """An SGX DCAP quote from Gramine's /dev/attestation."""

    tee: Final = "sgx"

    def __init__(self, gramine: GramineAttestation) -> None:
        self.gramine = gramine
        self.interface = f"Gramine {gramine.root}"

    def available(self) -> bool:
        return self.gramine.available()

    def quote(self, report_data: bytes) -> bytes:
        return self.gramine.quote(report_data)


def provider_for(tee: str, tsm_root: Path = TSM_REPORT_ROOT,
                 attestation_root: Path = ATTESTATION_ROOT,
                 files: PseudoFiles | None = None) -> EvidenceProvider:
    """The provider for `tee` ("tdx" or "sgx"); NoTeeInterface when the platform lacks it."""
    tdx: EvidenceProvider = TdxProvider(ConfigfsTsm(tsm_root, files))
    sgx: EvidenceProvider = SgxProvider(GramineAttestation(attestation_root, files))
    if tee not in EVIDENCE_TYPES:
        raise ValueError(f"tee must be one of {sorted(EVIDENCE_TYPES)}")
    wanted, other = (tdx, sgx) if tee == "tdx" else (sgx, tdx)
    if wanted.available():
        return wanted
    if not other.available():
        raise NoTeeInterface(
            f"this platform has no configfs-tsm report interface ({tsm_root}) and no Gramine "
            f"{attestation_root}; run inside a TDX guest or a Gramine SGX enclave, or use "
            "--simulated for development (INSECURE)")
    raise NoTeeInterface(f"--tee {tee} needs {wanted.interface}, which this platform does not have; "
                         f"it has {other.interface}: use --tee {other.tee}")
