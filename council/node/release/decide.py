"""The member's release decision (docs/recovery.md, "Release policy"): pure, no clock, no I/O.

decide_release: (1) a roster operator signed the request; (2) the request asks this member's
committed epoch of this key; (3) the dump reference verifies and matches the request, and is sealed
to this member's key (its epoch and roster are not another council's: dumps.lineage); (4) the
sealer's evidence: simulated only if allowed; admitted in the key's council log (`logged`: the
log's admitted sealers and admission policy, narrowed by the member's local file, never widened),
and by the local evidence checker if required;
(5) the request is not from the future and the waiting period has passed since the member first
recorded it; (6) a human
approved it, if required; (7) the share: create_share refuses a mauled KEM ciphertext or a wrong
label; (8) target-bound requests get the share ECIES-sealed to the target key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from council.crypto import kem
from council.crypto.decryption import create_share, seal_to_target
from council.crypto.group import Point, RandomSource, Scalar
from council.errors import PolicyRefused
from council.node.release.policy import ReleasePolicy
from council.protocol.dumpref import VerifiedDump, verify_reference
from council.protocol.recovery_request import RecoveryRequest, verify_request
from council.protocol.shares import MemberReply, TargetBoundShare, context_of
from council.roster import Roster
from dumps.evidence import EvidenceChecker, check_binding, is_insecure
from dumps.lineage import KeyLineage

MAX_CLOCK_SKEW_MS = 5 * 60 * 1000


@dataclass(frozen=True)
class MemberShare:
    """The member's state for one key: its index, committed epoch and share."""

    key_id: str
    epoch: int
    index: int
    share: Scalar
    committed: bool = True
    lineage: KeyLineage | None = None
    """What the member knows of the key's epochs; a dump it contradicts is refused in step (3)."""
    public_share: Point | None = None
    """`share·G` if the caller computed it already (else create_share computes it)."""
    times: Callable[[Point], Point] | None = None
    """`R ↦ share·R`, kept by the caller with the share (one dump's `R` in every request for it);
    else create_share computes it. Called only after every check of steps (1)–(6) and the KEM proof."""

    def __repr__(self) -> str:
        return f"MemberShare(key {self.key_id}, epoch {self.epoch}, member {self.index})"


@dataclass(frozen=True)
class ReleaseFacts:
    """What the member knows about this request, from its own clock and log (injected)."""

    now_unix_ms: int
    first_seen_unix_ms: int
    approved: bool = False


def decide_release(request: RecoveryRequest, roster: Roster, member_state: MemberShare,
                   policy: ReleasePolicy, evidence_checker: EvidenceChecker | None,
                   facts: ReleaseFacts, rng: RandomSource | None = None,
                   logged: EvidenceChecker | None = None) -> MemberReply:
    """Return this member's share for the request, or raise a KeycouncilError saying why not.

    `logged` is the council log's sealer admission (council.node.release.log_admission): a member
    that holds the key's log always passes it; it then stands in for `evidence_checker`, which it
    already narrows."""
    verify_request(request, roster)                                             # (1)
    _check_epoch(request, member_state)                                         # (2)
    dump = _check_dump(request)                                                 # (3)
    if member_state.lineage is not None:
        member_state.lineage.require(dump.header, allow_unknown=True)
    _check_evidence(dump, policy, evidence_checker, logged)                     # (4)
    _check_waiting(request, policy, facts)                                      # (5)
    if policy.manual_approval and not facts.approved:                           # (6)
        raise PolicyRefused(f"recovery request {request.id_hex} awaits manual approval: "
                            f"keycouncil member approve {request.id_hex}")
    header, ctx = dump.header, context_of(request)
    kem_ct, label = header.kem(), header.label()
    kem.verify_ciphertext(kem_ct, label)  # before any product of the share with its R (create_share again)
    d = member_state.times(kem_ct.r_point) if member_state.times is not None else None
    share = create_share(ctx, kem_ct, label,                                    # (7)
                         member_state.index, member_state.share, rng, member_state.public_share, d)
    if request.target_key is None:
        return share
    return TargetBoundShare(member_state.index, seal_to_target(                 # (8)
        share, request.target_key, ctx, kem_ct, rng))


def _check_epoch(request: RecoveryRequest, state: MemberShare) -> None:
    if request.key_id != state.key_id:
        raise PolicyRefused(f"member {state.index} holds no share of key {request.key_id}")
    if not state.committed:
        raise PolicyRefused(f"member {state.index}: epoch {state.epoch} of key {state.key_id} is not "
                            "committed; only committed shares are released")
    if request.epoch != state.epoch:
        raise PolicyRefused(f"member {state.index} holds epoch {state.epoch} of key {state.key_id}; "
                            f"the request asks for epoch {request.epoch}")
    if state.share.value == 0:  # x·G is the identity exactly when x = 0 (G has prime order q)
        raise PolicyRefused(f"member {state.index}: no usable share")


def _check_dump(request: RecoveryRequest) -> VerifiedDump:
    dump = verify_reference(request.dump)
    h = dump.header
    if (h.key_id, h.app_id, h.dump_version) != (request.key_id, request.app_id, request.dump_version):
        raise PolicyRefused(f"recovery request {request.id_hex}: the dump is {h.app_id} version "
                            f"{h.dump_version} of key {h.key_id}, not what the request names")
    return dump


def _check_evidence(dump: VerifiedDump, policy: ReleasePolicy, checker: EvidenceChecker | None,
                    logged: EvidenceChecker | None) -> None:
    h = dump.header
    check_binding(h.evidence, h.sealer_public_key)
    if is_insecure(h.evidence) and not policy.allow_simulated:
        raise PolicyRefused("the dump's sealer has simulated (INSECURE) evidence and the release "
                            "policy says allow_simulated = false")
    if policy.require_admitted_sealer and checker is None:
        raise PolicyRefused("require_admitted_sealer is set but no admission policy is configured")
    if logged is not None:
        logged(h.evidence, h.sealer_public_key)
    elif policy.require_admitted_sealer:
        assert checker is not None
        checker(h.evidence, h.sealer_public_key)


def _check_waiting(request: RecoveryRequest, policy: ReleasePolicy, facts: ReleaseFacts) -> None:
    if request.created_unix_ms > facts.now_unix_ms + MAX_CLOCK_SKEW_MS:
        raise PolicyRefused(f"recovery request {request.id_hex} is dated in the future (more than "
                            f"{MAX_CLOCK_SKEW_MS // 1000} s ahead of this member's clock)")
    waited_ms = facts.now_unix_ms - facts.first_seen_unix_ms
    if waited_ms < policy.waiting_period_seconds * 1000:
        raise PolicyRefused(f"recovery request {request.id_hex}: known for {max(waited_ms, 0) // 1000} s, "
                            f"the waiting period is {policy.waiting_period_seconds} s")
