"""Comparing admission policies: does one admit a subset of another, and what do both admit.

`narrows(old, new)` decides whether a policy change is narrowing (every node the new policy admits,
the old one admits too) or widening; `meet(a, b)` is the policy admitting what both admit, which is
how a member's local file narrows the logged policy and never widens it. Notes are ignored.
"""

from __future__ import annotations

from dataclasses import replace

from council.attestation.policy_model import Freeze, Policy, SgxAllow


def _covers(old: SgxAllow, new: SgxAllow) -> bool:
    """Every enclave `new` allows, `old` allows (same MRENCLAVE, old's pins are absent or equal)."""
    return (old.mrenclave == new.mrenclave and old.mrsigner in (None, new.mrsigner)
            and old.isv_prod_id in (None, new.isv_prod_id))


def freeze_at_least(new: Freeze | None, old: Freeze | None) -> bool:
    """True when `new` freezes at least what `old` freezes."""
    if old is None:
        return True
    if new is None:
        return False
    if new.after is None:
        return True
    return old.after is not None and new.after <= old.after


def stricter_freeze(a: Freeze | None, b: Freeze | None) -> Freeze | None:
    """The freeze that refuses what either refuses."""
    return a if freeze_at_least(a, b) else b


def narrows(old: Policy, new: Policy) -> bool:
    """True when `new` admits no node that `old` refuses (a narrowing change)."""
    return (all(any(_covers(o, n) for o in old.sgx) for n in new.sgx)
            and {(e.mrtd, e.rtmrs) for e in new.tdx} <= {(e.mrtd, e.rtmrs) for e in old.tdx}
            and set(new.accepted_tcb_statuses) <= set(old.accepted_tcb_statuses)
            and set(new.forbidden_advisories) >= set(old.forbidden_advisories)
            and new.min_isv_svn >= old.min_isv_svn
            and (old.allow_debug or not new.allow_debug)
            and (old.allow_simulated or not new.allow_simulated)
            and set(new.revoked_sealer_keys) >= set(old.revoked_sealer_keys)
            and freeze_at_least(new.freeze, old.freeze))


def _pin(a: bytes | int | None, b: bytes | int | None) -> tuple[bool, bytes | int | None]:
    if a is None or b is None or a == b:
        return True, a if a is not None else b
    return False, None


def _meet_sgx(a: SgxAllow, b: SgxAllow) -> SgxAllow | None:
    if a.mrenclave != b.mrenclave:
        return None
    ok_signer, signer = _pin(a.mrsigner, b.mrsigner)
    ok_prod, prod = _pin(a.isv_prod_id, b.isv_prod_id)
    if not (ok_signer and ok_prod):
        return None
    assert signer is None or isinstance(signer, bytes)
    assert prod is None or isinstance(prod, int)
    return SgxAllow(a.mrenclave, signer, prod, a.note)


def meet(a: Policy, b: Policy) -> Policy:
    """The policy admitting exactly the nodes both `a` and `b` admit."""
    sgx: list[SgxAllow] = []
    for x in a.sgx:
        for y in b.sgx:
            m = _meet_sgx(x, y)
            if m is not None and m not in sgx:
                sgx.append(m)
    tdx_b = {(e.mrtd, e.rtmrs) for e in b.tdx}
    return replace(
        a, sgx=tuple(sgx), tdx=tuple(e for e in a.tdx if (e.mrtd, e.rtmrs) in tdx_b),
        accepted_tcb_statuses=tuple(s for s in a.accepted_tcb_statuses if s in b.accepted_tcb_statuses),
        forbidden_advisories=tuple(sorted(set(a.forbidden_advisories) | set(b.forbidden_advisories))),
        min_isv_svn=max(a.min_isv_svn, b.min_isv_svn), allow_debug=a.allow_debug and b.allow_debug,
        allow_simulated=a.allow_simulated and b.allow_simulated,
        revoked_sealer_keys=tuple(sorted(set(a.revoked_sealer_keys) | set(b.revoked_sealer_keys))),
        freeze=stricter_freeze(a.freeze, b.freeze))
