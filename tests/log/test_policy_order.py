"""Policy order: `narrows` is a preorder, and `meet` narrows both of its arguments."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from council.attestation.policy_model import Freeze, Policy, SgxAllow, TdxAllow
from council.log import meet, narrows

ENCLAVES = [bytes([i]) * 32 for i in range(3)]
SIGNERS = [None, b"\xaa" * 32, b"\xbb" * 32]
TDS = [TdxAllow(bytes([i]) * 48, (bytes(48),) * 4) for i in range(2)]
STATUSES = ["UpToDate", "SWHardeningNeeded", "OutOfDate"]
FREEZES = [None, Freeze(None, "all"), Freeze(datetime(2025, 1, 1, tzinfo=UTC)), Freeze(datetime(2026, 1, 1, tzinfo=UTC))]

policies = st.builds(
    Policy,
    sgx=st.lists(st.builds(SgxAllow, st.sampled_from(ENCLAVES), st.sampled_from(SIGNERS),
                           st.sampled_from([None, 1, 2])), max_size=3).map(tuple),
    tdx=st.lists(st.sampled_from(TDS), max_size=2, unique=True).map(tuple),
    accepted_tcb_statuses=st.lists(st.sampled_from(STATUSES), unique=True).map(tuple),
    forbidden_advisories=st.lists(st.sampled_from(["A", "B"]), unique=True).map(lambda x: tuple(sorted(x))),
    min_isv_svn=st.integers(0, 3), allow_debug=st.booleans(), freeze=st.sampled_from(FREEZES),
    revoked_sealer_keys=st.lists(st.sampled_from(["01" * 32, "02" * 32]), unique=True).map(lambda x: tuple(sorted(x))),
    allow_simulated=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(policies, policies, policies)
def test_narrows_is_a_preorder_and_meet_narrows_both(a: Policy, b: Policy, c: Policy) -> None:
    assert narrows(a, a)
    if narrows(a, b) and narrows(b, c):
        assert narrows(a, c)
    m = meet(a, b)
    assert narrows(a, m) and narrows(b, m)
    if narrows(a, c) and narrows(b, c):
        assert narrows(m, c)


def test_examples() -> None:
    base = Policy(sgx=(SgxAllow(ENCLAVES[0]),), accepted_tcb_statuses=("UpToDate", "OutOfDate"))
    pinned = Policy(sgx=(SgxAllow(ENCLAVES[0], SIGNERS[1], 1),), accepted_tcb_statuses=("UpToDate",))
    assert narrows(base, pinned) and not narrows(pinned, base)
    local = Policy(sgx=(SgxAllow(ENCLAVES[0], SIGNERS[1]), SgxAllow(ENCLAVES[2])), allow_simulated=True,
                   freeze=Freeze(None, "local"))
    m = meet(base, local)
    assert m.sgx == (SgxAllow(ENCLAVES[0], SIGNERS[1]),) and not m.allow_simulated and m.freeze == local.freeze
