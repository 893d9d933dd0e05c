"""Real sealer evidence from inside a TEE: configfs-tsm (TDX) and Gramine /dev/attestation (SGX).

See docs/attestation.md, "Real evidence from inside a TEE". Modules: `pseudofs` (the file
operations, swappable in tests), `configfs_tsm` and `gramine` (the two platform protocols),
`provider` (quote over the key binding, platform detection), `identity` (`signer new --tee`).
"""

from dumps.tee.errors import ConcurrentReportWrite, NoTeeInterface, TeeInterfaceError
from dumps.tee.identity import new_tee_identity, obtain_evidence
from dumps.tee.provider import EvidenceProvider, provider_for, report_data_for

__all__ = [
    "ConcurrentReportWrite",
    "EvidenceProvider",
    "NoTeeInterface",
    "TeeInterfaceError",
    "new_tee_identity",
    "obtain_evidence",
    "provider_for",
    "report_data_for",
]
