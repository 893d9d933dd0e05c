"""Group layer: encodings round-trip, fast paths agree with the constant-time ones, Lagrange works."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto.group import P256, Point, Q, Scalar, horner, point_sum
from council.crypto.lagrange import lagrange_at_zero

scalars = st.integers(1, Q - 1).map(Scalar)


@settings(max_examples=40, deadline=None)
@given(scalars)
def test_point_encoding_roundtrip(k: Scalar) -> None:
    p = P256.base_mul(k)
    assert Point.from_bytes(p.to_bytes()) == p
    assert Point.from_bytes((-p).to_bytes()) == -p


def _computed_uncompressed(p: Point) -> bytes:
    """The SEC1 uncompressed encoding from the coordinates, ignoring any kept encoding."""
    x, y = p._p.xy
    return b"\x04" + int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")


@settings(max_examples=40, deadline=None)
@given(scalars, scalars)
def test_kept_uncompressed_encoding_is_the_points_own(k: Scalar, m: Scalar) -> None:
    """The uncompressed encoding a decoder keeps (or the first encode caches) is the point's."""
    p = P256.base_mul(k) + P256.base_mul(m)  # a computed point: nothing kept until encoded
    if p.is_identity():
        return
    want = _computed_uncompressed(p)
    assert p.to_uncompressed() == want and p.to_uncompressed() == want
    for decoded in (Point.from_bytes(p.to_bytes()), Point.from_uncompressed(want)):
        assert decoded == p and decoded.to_uncompressed() == want and decoded.to_bytes() == p.to_bytes()
        assert _computed_uncompressed(decoded) == want
    assert Point.from_bytes((-p).to_bytes()).to_uncompressed() == _computed_uncompressed(-p)


@settings(max_examples=30, deadline=None)
@given(scalars, st.integers(0, 2**16 - 1))
def test_mul_small_matches_full_multiplication(k: Scalar, m: int) -> None:
    p = P256.base_mul(k)
    assert p.mul_small(m) == (p * Scalar(m) if m else Point.identity())


@settings(max_examples=20, deadline=None)
@given(st.lists(scalars, min_size=1, max_size=6), st.integers(1, 300))
def test_horner_matches_the_polynomial_in_the_exponent(coeffs: list[Scalar], x: int) -> None:
    value = sum(c.value * x**k for k, c in enumerate(coeffs)) % Q
    assert horner([P256.base_mul(c) for c in coeffs], x) == P256.base_mul(Scalar(value))
    assert point_sum(P256.base_mul(c) for c in coeffs) == P256.base_mul(Scalar.reduce(sum(c.value for c in coeffs)))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=1, max_size=12, unique=True), st.integers(1, Q - 1))
def test_lagrange_interpolates_a_constant_polynomial_of_any_degree(indices: list[int], secret: int) -> None:
    lam = lagrange_at_zero(indices)
    assert sum(c.value for c in lam.values()) % Q == 1  # Σλ_i·f(i) = f(0) for f ≡ 1
    coeffs = [secret] + list(range(2, len(indices) + 1))
    f = {i: sum(a * i**k for k, a in enumerate(coeffs)) % Q for i in indices}
    assert sum(lam[i].value * f[i] for i in indices) % Q == secret


@settings(max_examples=20, deadline=None)
@given(scalars)
def test_fast_point_construction_matches_the_public_constructor(k: Scalar) -> None:
    from council.crypto.group import _point_from_xy, _point_from_xy_public

    raw = P256.base_mul(k).to_uncompressed()
    assert _point_from_xy(raw[1:33], raw[33:]) == _point_from_xy_public(raw[1:33], raw[33:])


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 70), st.randoms(use_true_random=False))
def test_multi_scalar_mul_matches_separate_multiplications(n: int, rnd) -> None:
    from council.crypto.group import multi_scalar_mul

    ks = [Scalar(rnd.randrange(0, Q)) for _ in range(n)]
    ps = [P256.base_mul(Scalar(rnd.randrange(1, Q))) for _ in range(n)]
    assert multi_scalar_mul(ks, ps) == point_sum(p * k if k.value else Point.identity() for k, p in zip(ks, ps, strict=True))


@pytest.mark.parametrize("k", [0, 1, 2, Q - 1, Q - 2, (1 << 255) % Q, None])
def test_mul_public_matches_the_constant_time_multiplication(k: int | None) -> None:
    """The variable-time path for public scalars (proof verification) gives the same points."""
    scalar = Scalar.random() if k is None else Scalar(k)
    h = P256.base_mul(Scalar.random())
    for base in (h, P256.generator):
        assert base.mul_public(scalar) == base * scalar
