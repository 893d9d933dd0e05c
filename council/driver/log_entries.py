"""Operator and member log entries as the CLI appends them: sealers, policy, freeze (docs/operators.md).

Each function reads the key's log from the members of the roster, signs one entry at its head and
proposes it (council.driver.log_client). Proposing again at the same head gives the same entry
(Ed25519 is deterministic), so an operator re-runs the command once the members' operators
approved a widening entry (`keycouncil member approve DIR ID`). Narrowing entries (revoke, freeze)
are approved at once by each member that receives them, and take effect there at once.

`approve_pending` is for local councils only: it records each member's operator approval from the
member folders (what each operator would type) and proposes again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from council.attestation.policy import set_options
from council.attestation.policy_model import Policy
from council.attestation.verify import evaluate_quote
from council.crypto.signing import Signer
from council.driver.log_client import AppendReport, LogClient, signer_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.log import (
    Body,
    Entry,
    Freeze,
    LogState,
    PolicyChanged,
    SealerAdmitted,
    SealerRevoked,
    Unfreeze,
)
from council.log.kinds import Role
from council.log.policy_order import stricter_freeze
from council.roster import Roster
from dumps.evidence import SIMULATED, check_binding
from dumps.header import Evidence

QUOTE_TEES = {"sgx-dcap": "sgx", "tdx-dcap": "tdx"}


def sealer_admitted(public_key: bytes, evidence: Evidence, collateral: Path | None = None,
                    at: datetime | None = None) -> SealerAdmitted:
    """The sealer-admitted body for a sealer key and its evidence: simulated evidence must bind the
    key; a DCAP quote is verified here (collateral needed) for its measurement and TCB status.
    Every approving member verifies the quote again itself."""
    if evidence.type == SIMULATED:
        check_binding(evidence, public_key)
        return SealerAdmitted(public_key, "simulated", b"", "", SIMULATED, evidence.data)
    tee = QUOTE_TEES.get(evidence.type)
    if tee is None:
        raise PolicyRefused(f"unknown evidence type {evidence.type!r} (expected simulated, sgx-dcap, tdx-dcap)")
    if collateral is None:
        raise PolicyRefused(f"a {evidence.type} quote is verified for its measurement and TCB status: "
                            "give --collateral DIR")
    verdict = evaluate_quote(evidence.data, collateral, at or datetime.now(UTC))
    if not verdict.verified or verdict.tee != tee or verdict.measurements is None or verdict.tcb_status is None:
        raise PolicyRefused(f"the sealer's quote does not verify (step {verdict.failed_step}: {verdict.message})")
    m = verdict.measurements
    measurement = m.mrenclave if tee == "sgx" else b"".join(
        x or b"" for x in (m.mrtd, m.rtmr0, m.rtmr1, m.rtmr2, m.rtmr3))
    return SealerAdmitted(public_key, tee, measurement or b"", verdict.tcb_status, evidence.type, evidence.data)


def allow_simulated(state: LogState) -> PolicyChanged | None:
    """The policy change that lets the key admit simulated sealers (None: it already does)."""
    if state.policy.allow_simulated:
        return None
    return PolicyChanged(set_options(state.policy, simulated=True))


def append(roster: Roster, key_id: str, transport: OperatorFolder, timing: Timing,
           body: Body | Callable[[LogState], Body], author: Signer | None = None,
           role: Role = Role.OPERATOR) -> AppendReport:
    """Sign `body` (or `body(state)`) at the head of `key_id`'s log as `author` (default: the
    transport's own identity, as an operator) and propose it to the roster's members."""
    with LogClient(roster.members, transport, timing) as client:
        state, _ = client.read(key_id)
        if not state.started:
            raise PolicyRefused(f"key {key_id!r} has no council log on these members (no genesis entry)")
        content = body(state) if callable(body) else body
        entry = signer_entry(author or transport.identity.signer, role, state, content)
        return client.append(state, entry)


def approve_pending(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing, body: Body,
                    approve: Callable[[str, Entry], None]) -> AppendReport:
    """Local councils: propose; `approve(member name, entry)` for each member that waits for its
    operator; propose again. Returns the last report (accepted unless members refused)."""
    report = append(roster, key_id, operator, timing, body)
    if report.accepted:
        return report
    for name, answer in report.missing.items():
        if answer.startswith("pending"):
            approve(name, report.entry)
    return append(roster, key_id, operator, timing, body)


def revoke(public_key: bytes, reason: str) -> SealerRevoked:
    return SealerRevoked(public_key, reason)


def freeze(reason: str, after: datetime | None = None) -> Freeze:
    """A freeze of admissions (and of releases for sealers' dumps): all, or verifications after `after`."""
    return Freeze(None if after is None else int(after.timestamp() * 1000), reason)


def unfreeze(reason: str) -> Unfreeze:
    return Unfreeze(reason)


def policy_change(policy: Policy) -> Callable[[LogState], PolicyChanged]:
    """The key's whole admission policy from a file, keeping the logged freeze: a freeze is lifted
    only by an unfreeze entry (`policy unfreeze`), never by a policy file that lacks it."""
    def body(state: LogState) -> PolicyChanged:
        return PolicyChanged(replace(policy, freeze=stricter_freeze(policy.freeze, state.policy.freeze)))
    return body
