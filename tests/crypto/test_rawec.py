"""Raw point paths (`rawec`) give exactly what the reference EccPoint paths of `group` give.

Coefficients are drawn as scalars a_k (0 gives the identity), so that sums cancelling to the point
at infinity, repeated points (doublings inside additions) and t = 1 all occur."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto import group, rawec
from council.crypto.group import P256, Point, Q, Scalar

scalars = st.integers(0, Q - 1)
small_or_any = st.one_of(st.integers(0, 5), st.integers(Q - 5, Q - 1), scalars)


def _point(a: int) -> Point:
    return P256.base_mul(Scalar(a)) if a else Point.identity()


def _value(coeffs: list[int], x: int) -> Point:
    return _point(sum(a * x**k for k, a in enumerate(coeffs)) % Q)


def test_the_raw_paths_are_in_use() -> None:
    assert rawec.AVAILABLE  # pycryptodome's cffi backend: the paths below are the raw ones


@settings(max_examples=40, deadline=None)
@given(st.lists(small_or_any, min_size=1, max_size=8), st.integers(1, 2**16 - 1))
def test_horner_matches_the_reference(coeffs: list[int], x: int) -> None:
    points = [_point(a) for a in coeffs]
    got = rawec.horner(points, x)
    assert got == group.horner(points, x) == _value(coeffs, x)


def test_horner_edge_cases() -> None:
    g = P256.generator
    assert rawec.horner([g], 1) == g  # t = 1
    assert rawec.horner([g, -g], 1).is_identity()  # j = 1, the result is the point at infinity
    assert rawec.horner([Point.identity(), Point.identity()], 7).is_identity()
    assert rawec.horner([g, g], 1) == g.mul_small(2)  # an addition that is a doubling
    assert rawec.horner([-g.mul_small(2), g], 2).is_identity()


@settings(max_examples=25, deadline=None)
@given(st.lists(small_or_any, min_size=1, max_size=12), st.integers(1, 40))
def test_evaluate_at_every_index_matches_horner(coeffs: list[int], n: int) -> None:
    points = [_point(a) for a in coeffs]
    got = rawec.evaluate_at_indices(points, list(range(1, n + 1)))
    assert set(got) == set(range(1, n + 1))
    for j in range(1, n + 1):
        assert got[j] == group.horner(points, j) == _value(coeffs, j), j


@settings(max_examples=15, deadline=None)
@given(st.lists(scalars, min_size=1, max_size=6),
       st.lists(st.integers(1, 2**16 - 1), min_size=1, max_size=8, unique=True))
def test_evaluate_at_sparse_indices_matches_horner(coeffs: list[int], indices: list[int]) -> None:
    points = [_point(a) for a in coeffs]
    got = rawec.evaluate_at_indices(points, indices)
    assert got == {j: group.horner(points, j) for j in indices}


def test_evaluate_where_the_polynomial_vanishes() -> None:
    # f(z) = (z − 3)(z − 5) = 15 − 8z + z²: Y(3) and Y(5) are the point at infinity
    coeffs = [15, Q - 8, 1, 0, 0]
    got = rawec.evaluate_at_indices([_point(a) for a in coeffs], list(range(1, 11)))
    assert got[3].is_identity() and got[5].is_identity()
    assert all(got[j] == _value(coeffs, j) for j in range(1, 11))


@settings(max_examples=30, deadline=None)
@given(scalars, st.one_of(st.integers(0, 3), st.integers(Q - 3, Q + 3), scalars))
def test_mul_public_matches_the_constant_time_multiplication(a: int, k: int) -> None:
    p = _point(a)
    assert rawec.mul_public(p, k) == (p * Scalar(k % Q) if k % Q else Point.identity())


@settings(max_examples=20, deadline=None)
@given(st.lists(small_or_any, max_size=10))
def test_point_sum_matches_the_reference(coeffs: list[int]) -> None:
    points = [_point(a) for a in coeffs]
    assert rawec.point_sum(points) == group.point_sum(points) == _point(sum(coeffs) % Q)


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 40), st.randoms(use_true_random=False))
def test_multi_scalar_mul_matches_separate_multiplications(n: int, rnd) -> None:  # type: ignore[no-untyped-def]
    ks = [rnd.randrange(Q) for _ in range(n)]
    points = [_point(rnd.randrange(Q)) for _ in range(n)]
    assert rawec.multi_scalar_mul(ks, points) == group.point_sum(p * Scalar(k) for k, p in zip(ks, points, strict=True))


def test_results_are_independent_points() -> None:
    g = P256.generator
    ys = rawec.evaluate_at_indices([g, g, g], [1, 2, 3, 4])
    before = {j: y.to_bytes() for j, y in ys.items()}
    _ = ys[1] + ys[2]
    assert {j: y.to_bytes() for j, y in ys.items()} == before
    assert g == P256.base_mul(Scalar(1))


@settings(max_examples=4, deadline=None)
@given(st.integers(24, 60), st.integers(0, 30), st.randoms(use_true_random=False))
def test_evaluate_with_split_windows_matches_horner(t: int, extra: int, rnd) -> None:  # type: ignore[no-untyped-def]
    coeffs = [rnd.choice([0, 1, Q - 1, rnd.randrange(Q)]) for _ in range(t)]
    points = [_point(a) for a in coeffs]
    n = t + extra
    got = rawec.evaluate_at_indices(points, list(range(1, n + 1)))
    assert all(got[j] == _value(coeffs, j) for j in range(1, n + 1))


def test_every_split_depth_matches_horner(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import random

    rnd = random.Random(104)
    for split in (3, 4, 7):
        monkeypatch.setattr(rawec, "_SPLIT_AT", split)
        for t in (3, 4, 5, 8, 13, 17):
            coeffs = [rnd.choice([0, 1, 2, Q - 1, rnd.randrange(Q)]) for _ in range(t)]
            n = rnd.randrange(1, 2 * t + 3)
            got = rawec.evaluate_at_indices([_point(a) for a in coeffs], list(range(1, n + 1)))
            assert all(got[j] == _value(coeffs, j) for j in range(1, n + 1)), (split, t, n)
