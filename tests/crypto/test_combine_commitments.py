"""Re-share output: the combined commitments C_k = Σ λ_i·A_ik with small integer weights agree with
the plain sum over λ_i mod q (P-256, output.combine_commitments) and mod r (BN254,
bn254.sharing.combine_commitments), for contiguous and scattered dealer sets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto.bn254 import sharing as bn_sharing
from council.crypto.bn254.curve import G1, Fr, R
from council.crypto.bn254.sharing import BnDealing
from council.crypto.bn254.threshold import lagrange_at_zero as bn_lagrange_at_zero
from council.crypto.group import P256, Point, Q, Scalar, point_sum
from council.crypto.lagrange import integer_lagrange_at_zero, lagrange_at_zero
from council.crypto.msm import msm, msm_columns
from council.crypto.output import combine_commitments


def _points(rows: int, cols: int, seed: int) -> list[list[Point]]:
    return [[P256.base_mul(Scalar((seed * 1_000_003 + 7919 * r + c + 1) % Q)) for c in range(cols)]
            for r in range(rows)]


def _plain(weights: dict[int, Scalar], rows: list[list[Point]]) -> list[Point]:
    return [point_sum(row[k] * w for w, row in zip(weights.values(), rows, strict=True))
            for k in range(len(rows[0]))]


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(1, 200), min_size=1, max_size=9, unique=True), st.integers(1, 4), st.integers(0, 99))
def test_combined_commitments_match_the_plain_lagrange_sum(indices: list[int], cols: int, seed: int) -> None:
    weights = lagrange_at_zero(sorted(indices))
    rows = _points(len(indices), cols, seed)
    assert combine_commitments(weights, rows) == _plain(weights, rows)


SCALARS = st.one_of(st.integers(-(1 << 48), 1 << 48), st.integers(-2 * Q, 2 * Q), st.sampled_from([0, Q, -Q, 1, -1]))


@settings(max_examples=40, deadline=None)
@given(st.lists(SCALARS, min_size=1, max_size=7), st.integers(0, 4), st.integers(0, 99))
def test_msm_columns_match_one_plain_sum_per_column(scalars: list[int], cols: int, seed: int) -> None:
    rows = _points(len(scalars), cols, seed)
    if cols and seed % 3 == 0:  # a column whose terms cancel: the sum is the identity
        rows[0][0] = P256.base_mul(Scalar(1))
        scalars = [*scalars, -scalars[0]]
        rows.append([rows[0][0], *rows[0][1:]])
    expected = [point_sum(row[k] * Scalar(m % Q) for m, row in zip(scalars, rows, strict=True))
                for k in range(cols)]
    assert msm_columns(scalars, rows) == expected
    assert [msm([m % Q for m in scalars], [row[k] for row in rows]) for k in range(cols)] == expected


def test_msm_columns_refuse_ragged_rows() -> None:
    rows = _points(2, 2, 0)
    with pytest.raises(ValueError):
        msm_columns([1, 2], [rows[0], rows[1][:1]])
    with pytest.raises(ValueError):
        msm_columns([1], rows)


@pytest.mark.parametrize("indices", [list(range(1, 44)), [i for i in range(1, 46) if i not in (5, 17)],
                                     list(range(3, 129, 3))])
def test_weights_are_exact_small_fractions(indices: list[int]) -> None:
    small = integer_lagrange_at_zero(indices, Q)
    assert small is not None
    numerators, denominator = small
    lam = lagrange_at_zero(indices)
    inverse = pow(denominator, -1, Q)
    assert [m * inverse % Q for m in numerators] == [lam[i].value for i in indices]
    if indices == list(range(1, 44)):  # λ_i = ±binom(43, i): 40 bits, no denominator
        assert denominator == 1 and max(abs(m) for m in numerators).bit_length() <= 40


def test_a_few_large_combined_commitments() -> None:
    indices = [i for i in range(1, 24) if i != 4]
    weights = lagrange_at_zero(indices)
    rows = _points(len(indices), 3, 1)
    assert combine_commitments(weights, rows) == _plain(weights, rows)


def test_weights_that_are_not_lagrange_coefficients_are_refused() -> None:
    weights = dict(lagrange_at_zero([1, 2, 3]))
    weights[2] = Scalar((weights[2].value + 1) % Q)
    with pytest.raises(ValueError, match="Lagrange"):
        combine_commitments(weights, _points(3, 2, 0))


def _bn_dealings(indices: list[int], cols: int, seed: int) -> dict[int, BnDealing]:
    return {i: BnDealing(tuple(G1.base_mul(Fr((seed * 7_919 + 31 * i + c + 1) % R)) for c in range(cols)))
            for i in indices}


def _bn_plain(weights: dict[int, Fr], dealings: dict[int, BnDealing]) -> list[G1]:
    cols = len(next(iter(dealings.values())).commitments)
    out = []
    for k in range(cols):
        acc = G1.identity()
        for i, w in weights.items():
            acc = acc + dealings[i].commitments[k] * w
        out.append(acc)
    return out


@settings(max_examples=6, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=2, max_size=6, unique=True), st.integers(1, 3), st.integers(0, 99))
def test_bn254_combined_commitments_match_the_plain_lagrange_sum(indices: list[int], cols: int, seed: int) -> None:
    weights = bn_lagrange_at_zero(sorted(indices))
    dealings = _bn_dealings(sorted(indices), cols, seed)
    assert bn_sharing.combine_commitments(dealings, weights) == _bn_plain(weights, dealings)


def test_bn254_weights_that_are_not_lagrange_coefficients_are_refused() -> None:
    weights = dict(bn_lagrange_at_zero([1, 2, 4]))
    weights[2] = Fr((weights[2].value + 1) % R)
    with pytest.raises(ValueError, match="Lagrange"):
        bn_sharing.combine_commitments(_bn_dealings([1, 2, 4], 2, 0), weights)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.sampled_from([Q, R]))
def test_weights_of_one_to_t_by_binomials_equal_the_general_rule(t: int, modulus: int) -> None:
    """S = {1..t} in order takes the closed form ±binom(t, i); the same indices in another order
    take the general computation: the same weights (or the same None), term for term."""
    fast = integer_lagrange_at_zero(list(range(1, t + 1)), modulus)
    general = integer_lagrange_at_zero(list(range(t, 0, -1)), modulus)
    assert (fast is None) == (general is None)
    if fast is not None and general is not None:
        assert fast == (general[0][::-1], general[1])
