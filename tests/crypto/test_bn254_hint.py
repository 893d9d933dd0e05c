"""The hash-to-G1 witnesses the contract checks (hash_to_g1_hint): following them with the
contract's rule gives exactly RFC 9380's point, and they are the only witnesses it accepts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto.bn254.curve import P
from council.crypto.bn254.hash_to_curve import (
    _C1,
    _C2,
    _C3,
    _C4,
    _Z,
    DRAND_DST,
    _g,
    hash_to_field,
    hash_to_g1_hint,
    map_to_curve_svdw,
    svdw_witnesses,
)


def _follow(u: int, roots: tuple[int, int, int]) -> tuple[int, int]:
    """The contract's `_map_to_curve` with witnesses, in Python (None-safe: raises on a false one)."""
    tv1 = u * u * _C1 % P
    tv2, tv1 = (1 + tv1) % P, (1 - tv1) % P
    tv3 = pow(tv1 * tv2 % P, P - 2, P)
    tv4 = u * tv1 % P * tv3 % P * _C3 % P
    x3 = tv2 * tv2 % P * tv3 % P
    for x, r in zip(((_C2 - tv4) % P, (_C2 + tv4) % P, (x3 * x3 % P * _C4 + _Z) % P), roots, strict=True):
        gx, rr = _g(x), r * r % P
        if rr == gx:
            return x, (r if r % 2 == u % 2 else P - r)
        if gx == 0 or rr != P - gx:
            raise ValueError("bad witness")
    raise ValueError("bad witness")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=P - 1))
def test_witnesses_lead_to_the_rfc_point(u: int) -> None:
    assert _follow(u, svdw_witnesses(u)) == map_to_curve_svdw(u)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=P - 1), st.integers(min_value=0, max_value=2),
       st.integers(min_value=1, max_value=P - 1))
def test_an_altered_witness_never_leads_elsewhere(u: int, which: int, delta: int) -> None:
    roots = list(svdw_witnesses(u))
    roots[which] = (roots[which] + delta) % P
    try:
        point = _follow(u, (roots[0], roots[1], roots[2]))
    except ValueError:
        return
    assert point == map_to_curve_svdw(u)  # only the other root of the same candidate passes


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_message_hint_checks_its_inverse(msg: bytes) -> None:
    hint = hash_to_g1_hint(msg)
    u0, u1 = hash_to_field(msg, DRAND_DST, 2)
    d = [(1 - u * u * _C1) * (1 + u * u * _C1) % P for u in (u0, u1)]
    assert hint[0] * d[0] % P * d[1] % P == 1
    assert hint[1:4] == svdw_witnesses(u0) and hint[4:] == svdw_witnesses(u1)
