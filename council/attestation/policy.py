"""The council's admission policy for TEE nodes: `admit` and the policy edits.

Implements docs/attestation.md, "Admission policy". A node is admitted only when its quote
verified, its exact measurement (MRENCLAVE; MRTD + RTMR0..3) is allow-listed, its TCB
status is accepted, no forbidden advisory applies, it is not a debug enclave, its report
data binds its sealer key, that key is not revoked, and admissions are not frozen.
Values live in `policy_model`, the file format in `policy_json`, the file in `policy_file`
(all re-exported here).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from council.attestation.binding import report_data_binds
from council.attestation.policy_file import PolicyFile, read_policy, write_policy
from council.attestation.policy_json import policy_from_json, policy_to_json
from council.attestation.policy_model import (
    Admission,
    AdmissionRefused,
    Freeze,
    Policy,
    PolicyFileError,
    SgxAllow,
    TdxAllow,
    format_time,
    parse_time,
)
from council.attestation.tcb_info import TCB_STATUSES
from council.attestation.verdict import Verdict

__all__ = [
    "Admission", "AdmissionRefused", "Freeze", "Policy", "PolicyFile", "PolicyFileError",
    "SgxAllow", "TdxAllow", "accept_status", "admit", "allow_sgx", "allow_tdx",
    "deny_measurement", "forbid_advisory", "freeze", "parse_time", "policy_from_json", "set_options",
    "policy_to_json", "read_policy", "revoke_sealer", "unfreeze", "write_policy", "TCB_STATUSES",
]


def admit(verdict: Verdict, sealer_public_key: bytes, policy: Policy) -> Admission:
    """Decide whether the TEE node behind `verdict` may join, holding `sealer_public_key`."""
    reasons = [*_freeze_reasons(verdict, policy), *_quote_reasons(verdict, policy),
               *_measurement_reasons(verdict, policy)]
    if verdict.report_data is None or not report_data_binds(verdict.report_data, sealer_public_key):
        reasons.append("report data does not bind the sealer public key")
    if sealer_public_key.hex() in policy.revoked_sealer_keys:
        reasons.append("the sealer key is revoked")
    return Admission(not reasons, tuple(reasons))


def _freeze_reasons(verdict: Verdict, policy: Policy) -> list[str]:
    freeze = policy.freeze
    if freeze is None:
        return []
    why = f" ({freeze.reason})" if freeze.reason else ""
    if freeze.after is None:
        return [f"admissions are frozen{why}"]
    if verdict.verified_at is None or verdict.verified_at > freeze.after:
        return [f"admissions are frozen since {format_time(freeze.after)}{why}"]
    return []


def _quote_reasons(verdict: Verdict, policy: Policy) -> list[str]:
    if verdict.simulated:
        return [] if policy.allow_simulated else ["simulated TEEs are not allowed"]
    if not verdict.verified:
        return [f"quote did not verify (step {verdict.failed_step})"]
    reasons = []
    if verdict.tcb_status not in policy.accepted_tcb_statuses:
        reasons.append(f"TCB status {verdict.tcb_status} is not accepted")
    forbidden = sorted(set(verdict.advisory_ids) & set(policy.forbidden_advisories))
    if forbidden:
        reasons.append(f"forbidden advisories apply: {', '.join(forbidden)}")
    if verdict.debug_enclave is not False and not policy.allow_debug:
        reasons.append("debug enclaves/TDs are not allowed")
    return reasons


def _measurement_reasons(verdict: Verdict, policy: Policy) -> list[str]:
    m = verdict.measurements
    if m is None:
        return ["no measurements"]
    if verdict.tee == "sgx":
        if not any(_sgx_matches(entry, m.mrenclave, m.mrsigner, m.isv_prod_id) for entry in policy.sgx):
            return ["MRENCLAVE is not allow-listed"]
        if (m.isv_svn or 0) < policy.min_isv_svn:
            return [f"ISVSVN {m.isv_svn} is below the minimum {policy.min_isv_svn}"]
        return []
    if verdict.tee == "tdx":
        rtmrs = (m.rtmr0, m.rtmr1, m.rtmr2, m.rtmr3)
        if not any(entry.mrtd == m.mrtd and entry.rtmrs == rtmrs for entry in policy.tdx):
            return ["MRTD and RTMR0..3 are not allow-listed"]
        return []
    return [f"unknown TEE {verdict.tee!r}"]


def _sgx_matches(entry: SgxAllow, mrenclave: bytes | None, mrsigner: bytes | None,
                 isv_prod_id: int | None) -> bool:
    return (entry.mrenclave == mrenclave
            and entry.mrsigner in (None, mrsigner)
            and entry.isv_prod_id in (None, isv_prod_id))


def allow_sgx(policy: Policy, entry: SgxAllow) -> Policy:
    """Allow an SGX enclave (replacing an entry with the same MRENCLAVE)."""
    rest = tuple(e for e in policy.sgx if e.mrenclave != entry.mrenclave)
    return replace(policy, sgx=(*rest, entry))


def allow_tdx(policy: Policy, entry: TdxAllow) -> Policy:
    """Allow a TD (replacing an entry with the same MRTD and RTMRs)."""
    rest = tuple(e for e in policy.tdx if (e.mrtd, e.rtmrs) != (entry.mrtd, entry.rtmrs))
    return replace(policy, tdx=(*rest, entry))


def deny_measurement(policy: Policy, mrenclave: bytes | None = None,
                     mrtd: bytes | None = None) -> Policy:
    """Remove allow-list entries with this MRENCLAVE or MRTD."""
    return replace(policy, sgx=tuple(e for e in policy.sgx if e.mrenclave != mrenclave),
                   tdx=tuple(e for e in policy.tdx if e.mrtd != mrtd))


def forbid_advisory(policy: Policy, advisory_id: str, forbidden: bool = True) -> Policy:
    """Forbid (or stop forbidding) an Intel advisory such as INTEL-SA-00657."""
    rest = [a for a in policy.forbidden_advisories if a != advisory_id]
    return replace(policy, forbidden_advisories=tuple(sorted([*rest, advisory_id] if forbidden else rest)))


def accept_status(policy: Policy, status: str, accepted: bool = True) -> Policy:
    """Accept (or stop accepting) a TCB status."""
    if status not in TCB_STATUSES:
        raise ValueError(f"unknown TCB status {status!r}")
    rest = [s for s in policy.accepted_tcb_statuses if s != status]
    return replace(policy, accepted_tcb_statuses=tuple([*rest, status] if accepted else rest))


def freeze(policy: Policy, after: datetime | None, reason: str = "") -> Policy:
    """Freeze admissions: all of them (`after` None), or verifications later than `after`."""
    if after is not None and after.tzinfo is None:
        raise ValueError("freeze time must be timezone-aware")
    return replace(policy, freeze=Freeze(after, reason))


def unfreeze(policy: Policy) -> Policy:
    """Lift an admission freeze."""
    return replace(policy, freeze=None)


def revoke_sealer(policy: Policy, sealer_public_key: bytes) -> Policy:
    """Refuse every future admission of this sealer public key."""
    keys = set(policy.revoked_sealer_keys) | {sealer_public_key.hex()}
    return replace(policy, revoked_sealer_keys=tuple(sorted(keys)))


def set_options(policy: Policy, *, debug: bool | None = None, simulated: bool | None = None,
                min_isv_svn: int | None = None) -> Policy:
    """Change the debug / simulated switches and the minimum ISVSVN (None = keep)."""
    return replace(
        policy,
        allow_debug=policy.allow_debug if debug is None else debug,
        allow_simulated=policy.allow_simulated if simulated is None else simulated,
        min_isv_svn=policy.min_isv_svn if min_isv_svn is None else min_isv_svn,
    )
