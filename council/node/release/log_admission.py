"""The sealer admission a member applies: the key's log decides, a local admission file only narrows.

Two checks, both by this member itself (docs/recovery.md, "Release policy"; docs/log-format.md):

- on release, `LoggedSealer` (an EvidenceChecker): the dump's sealer key must be a sealer admitted
  in the key's accepted log entries and not revoked, of the TEE the log recorded, and its evidence
  must pass `meet(state.admission_policy(), local policy)`: the logged policy, narrowed by the
  member's own admission file when `release-policy.toml` names one (never widened by it);
- on approving a sealer-admitted entry, `sealer_objection`: the member verifies the quote in the
  entry itself (simulated evidence must bind the key; a DCAP quote must verify with this member's
  collateral and show the measurement and TCB status the entry states) under the same meet.

`state` is the member's effective state (accepted entries plus its own narrowing entries), so a
freeze this member made refuses its next admission and release at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.attestation.policy import Admission, admit
from council.attestation.policy_model import AdmissionRefused, Policy
from council.attestation.verdict import Verdict
from council.log import LogState, SealerAdmitted, meet
from dumps.admission import QUOTE_TYPES, SealerAdmission
from dumps.evidence import SIMULATED
from dumps.header import Evidence


@dataclass(frozen=True)
class FixedPolicy:
    """A policy source (`current()`, as `PolicyFile` offers) that always gives one policy."""

    policy: Policy

    def current(self) -> Policy:
        return self.policy


def effective_policy(state: LogState, local: SealerAdmission | None) -> Policy:
    """What this member applies: the log's admission policy, narrowed by its local file if any."""
    logged = state.admission_policy()
    return _MEETS.meet(logged, local.policy_file.current()) if local is not None else logged


class _LastMeet:
    """`meet(a, b)` kept for the last pair of policy objects, compared by identity: policies are
    frozen, and while the log state and the local file are unchanged every release passes the very
    same two objects (a new state or a re-read file is a new object, so it is met again)."""

    def __init__(self) -> None:
        self._last: tuple[Policy, Policy, Policy] | None = None

    def meet(self, a: Policy, b: Policy) -> Policy:
        last = self._last  # one read: another thread may replace it meanwhile
        if last is not None and last[0] is a and last[1] is b:
            return last[2]
        met = meet(a, b)
        self._last = (a, b, met)
        return met


_MEETS = _LastMeet()


def _admission(state: LogState, local: SealerAdmission | None) -> SealerAdmission:
    collateral = local.collateral if local is not None else None
    root = local.root if local is not None else None
    return SealerAdmission(FixedPolicy(effective_policy(state, local)), collateral, root)


@dataclass(frozen=True)
class LoggedSealer:
    """EvidenceChecker for the release path: admitted in the log, admitted by the met policy."""

    state: LogState
    local: SealerAdmission | None = None

    def __call__(self, evidence: Evidence, sealer_public_key: bytes) -> None:
        key, state = sealer_public_key, self.state
        record = state.sealers.get(key)
        if record is None or record.admitted_seq is None:
            raise AdmissionRefused(f"the dump's sealer key {key.hex()[:16]}… is not admitted in key "
                                   f"{state.key_id}'s council log (rule release.sealer-admitted; "
                                   "keycouncil log admit-sealer)")
        if record.revoked_seq is not None:
            raise AdmissionRefused(f"the dump's sealer key {key.hex()[:16]}… was revoked at log entry "
                                   f"{record.revoked_seq}" + (f" ({record.revoke_reason})" if record.revoke_reason
                                                              else "") + " (rule release.sealer-revoked)")
        expected = SIMULATED if record.tee == "simulated" else f"{record.tee}-dcap"
        if evidence.type != expected:
            raise AdmissionRefused(f"the dump's sealer evidence is {evidence.type}, the log admitted this key as "
                                   f"{record.tee} (entry {record.admitted_seq})")
        _admission(state, self.local).decide(evidence, key).raise_if_refused()


def sealer_objection(state: LogState, body: SealerAdmitted, local: SealerAdmission | None) -> str | None:
    """Why this member does not approve admitting this sealer (None: it approves)."""
    evidence = Evidence(body.evidence_type, body.evidence)
    adm = _admission(state, local)
    if body.tee == "simulated":
        if body.evidence_type != SIMULATED:
            return f"a simulated sealer carries {SIMULATED} evidence, not {body.evidence_type}"
        decision = adm.decide(evidence, body.public_key)
        return None if decision.admitted else "this member refuses the sealer: " + "; ".join(decision.reasons)
    if QUOTE_TYPES.get(body.evidence_type) != body.tee:
        return f"evidence type {body.evidence_type} does not carry a {body.tee} quote"
    if adm.collateral is None:
        return ("this member has no DCAP collateral configured (release-policy.toml: collateral) to verify "
                "the sealer's quote itself")
    verdict = adm.verdict(evidence)
    decision = admit(verdict, body.public_key, adm.policy_file.current())
    return _mismatch(body, verdict) or _refusal(decision)


def _refusal(decision: Admission) -> str | None:
    return None if decision.admitted else "this member refuses the sealer: " + "; ".join(decision.reasons)


def _mismatch(body: SealerAdmitted, verdict: Verdict) -> str | None:
    if not verdict.verified or verdict.tee != body.tee:
        return f"the quote does not verify here (step {verdict.failed_step}: {verdict.message})"
    m = verdict.measurements
    assert m is not None
    measured = m.mrenclave if body.tee == "sgx" else b"".join(
        x or b"" for x in (m.mrtd, m.rtmr0, m.rtmr1, m.rtmr2, m.rtmr3))
    if measured != body.measurement:
        return "the quote's measurement is not the one the entry states"
    if verdict.tcb_status != body.tcb_status:
        return f"the quote's TCB status is {verdict.tcb_status} here, the entry states {body.tcb_status}"
    return None


def local_admission(config_checker: object) -> SealerAdmission | None:
    """The member's local admission file checker from its release configuration, if any."""
    return config_checker if isinstance(config_checker, SealerAdmission) else None


