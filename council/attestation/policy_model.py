"""Values of the admission policy: allow-list entries, freeze, the policy, the decision.

See docs/attestation.md, "Admission policy". Every value is frozen; `policy_json` is the
file codec, `policy_file` the file itself, `policy` the decision and the edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from council.errors import PolicyRefused, StorageError

FORMAT = "keycouncil-admission-policy"
VERSION = 1


class PolicyFileError(StorageError):
    """The policy file is missing, not JSON, or breaks a rule of the format."""


class AdmissionRefused(PolicyRefused):
    """The admission policy refuses a TEE node; the message lists every reason."""


@dataclass(frozen=True)
class SgxAllow:
    """An allowed SGX enclave: exact MRENCLAVE, optionally pinned to MRSIGNER / ISVPRODID."""

    mrenclave: bytes
    mrsigner: bytes | None = None
    isv_prod_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class TdxAllow:
    """An allowed TD: exact MRTD and RTMR0..3."""

    mrtd: bytes
    rtmrs: tuple[bytes, bytes, bytes, bytes]
    note: str = ""


@dataclass(frozen=True)
class Freeze:
    """An admission freeze: everything (`after` None), or verifications later than `after`."""

    after: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Policy:
    """The admission policy (one JSON file; format in docs/attestation.md)."""

    sgx: tuple[SgxAllow, ...] = ()
    tdx: tuple[TdxAllow, ...] = ()
    accepted_tcb_statuses: tuple[str, ...] = ("UpToDate",)
    forbidden_advisories: tuple[str, ...] = ()
    min_isv_svn: int = 0
    allow_debug: bool = False
    freeze: Freeze | None = None
    revoked_sealer_keys: tuple[str, ...] = ()
    allow_simulated: bool = False


@dataclass(frozen=True)
class Admission:
    """The decision: admitted, or refused with every reason."""

    admitted: bool
    reasons: tuple[str, ...] = ()

    def raise_if_refused(self) -> None:
        """Raise AdmissionRefused listing the reasons, unless admitted."""
        if not self.admitted:
            raise AdmissionRefused("admission refused: " + "; ".join(self.reasons))


def parse_time(text: str) -> datetime:
    """An ISO-8601 time with a zone ("2025-07-19T10:00:00Z")."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return value


def format_time(at: datetime) -> str:
    """An aware time as ISO-8601 with "Z" for UTC."""
    return at.isoformat().replace("+00:00", "Z")
