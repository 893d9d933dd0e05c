"""Admission of dump sealers: verify their evidence, then apply the council's admission policy.

An instance is a `dumps` EvidenceChecker: `dump verify --policy`, the newest-dump choice of recovery
and a member's release policy all use it. The policy file is re-read on every decision (a freeze
takes effect without a restart); the verification time is "now" unless fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography import x509

from council.attestation.collateral import load_collateral
from council.attestation.policy import Admission, PolicyFile, admit
from council.attestation.policy_model import Policy
from council.attestation.verdict import Verdict
from council.attestation.verify import evaluate_quote
from dumps.errors import EvidenceRefused
from dumps.evidence import SIMULATED, check_binding
from dumps.header import Evidence

QUOTE_TYPES = {"sgx-dcap": "sgx", "tdx-dcap": "tdx"}


class PolicySource(Protocol):
    """Where the policy comes from: a `PolicyFile` (re-read on change) or a fixed policy."""

    def current(self) -> Policy: ...


@dataclass(frozen=True)
class SealerAdmission:
    """Checks a sealer's evidence against a policy file and (for DCAP quotes) collateral."""

    policy_file: PolicySource | PolicyFile
    collateral: Path | None = None
    root: x509.Certificate | None = None
    at: datetime | None = None

    def decide(self, evidence: Evidence, sealer_public_key: bytes) -> Admission:
        """Admitted, or refused with every reason (never raises for bad evidence)."""
        policy = self.policy_file.current()
        if evidence.type == SIMULATED:
            return _simulated(evidence, sealer_public_key, policy)
        if evidence.type not in QUOTE_TYPES:
            return Admission(False, (f"unknown evidence type {evidence.type!r}",))
        verdict = self.verdict(evidence)
        if verdict.verified and verdict.tee != QUOTE_TYPES[evidence.type]:
            return Admission(False, (f"evidence type {evidence.type} carries a {verdict.tee} quote",))
        return admit(verdict, sealer_public_key, policy)

    def verdict(self, evidence: Evidence) -> Verdict:
        if self.collateral is None:
            return Verdict(False, failed_step="collateral", message="no collateral folder given")
        at = self.at or datetime.now(UTC)
        return evaluate_quote(evidence.data, load_collateral(self.collateral), at, self.root)

    def __call__(self, evidence: Evidence, sealer_public_key: bytes) -> None:
        """The EvidenceChecker interface of `dumps`: raise AdmissionRefused to refuse."""
        self.decide(evidence, sealer_public_key).raise_if_refused()


def _simulated(evidence: Evidence, key: bytes, policy: Policy) -> Admission:
    reasons = []
    if not policy.allow_simulated:
        reasons.append("simulated evidence is not allowed (allow_simulated = false)")
    if policy.freeze is not None and policy.freeze.after is None:
        reasons.append("admissions are frozen" + (f" ({policy.freeze.reason})" if policy.freeze.reason else ""))
    if key.hex() in policy.revoked_sealer_keys:
        reasons.append("the sealer key is revoked")
    try:
        check_binding(evidence, key)
    except EvidenceRefused as exc:
        reasons.append(str(exc))
    return Admission(not reasons, tuple(reasons))
