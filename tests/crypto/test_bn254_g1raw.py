"""The raw-integer G1 paths (council/crypto/bn254/g1raw.py) against py_ecc's `optimized_curve`:
random points and scalars, and the edge cases (identity, P + P, P + (−P), scalars 0, 1, r − 1, r)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.optimized_bn128 import optimized_curve as ref

from council.crypto.bn254 import g1raw
from council.crypto.bn254.curve import G1, Fr, R, evaluate_at_indices, horner, multi_scalar_mul

SCALARS = st.one_of(st.sampled_from([0, 1, 2, 15, 16, 255, 256, R - 1, R, R + 1]), st.integers(0, R - 1),
                    st.integers(0, 1 << 64))
SMALL = st.integers(0, 300)


def _ref(k: int) -> Any:
    return ref.multiply(ref.G1, k % R)


def _same(raw: g1raw.Jac, expected: Any) -> bool:
    """A raw point equals a py_ecc point (both may be the identity)."""
    if ref.is_inf(expected):
        return g1raw.is_inf(raw)
    x, y = ref.normalize(expected)
    return g1raw.to_affine(raw) == (int(x.n), int(y.n))


def _raw(k: int) -> g1raw.Jac:
    """k·g1, scrambled out of affine form so that Z ≠ 1 (Jacobian inputs are exercised)."""
    p = g1raw.mul_public(g1raw.GEN, k % R)
    if g1raw.is_inf(p):
        return p
    lam = 7 + k % 1000
    x, y, z = p
    return x * lam * lam % g1raw.P, y * lam * lam * lam % g1raw.P, z * lam % g1raw.P


@settings(max_examples=40, deadline=None)
@given(SCALARS, SCALARS)
def test_add_double_neg_match_py_ecc(a: int, b: int) -> None:
    p, q = _raw(a), _raw(b)
    assert _same(g1raw.add(p, q), ref.add(_ref(a), _ref(b)))
    assert _same(g1raw.add(p, p), ref.double(_ref(a)))
    assert _same(g1raw.double(p), ref.double(_ref(a)))
    assert g1raw.is_inf(g1raw.add(p, g1raw.neg(p)))
    assert _same(g1raw.neg(p), ref.neg(_ref(a)))
    affine = g1raw.to_affine(q)
    if affine is not None:
        assert _same(g1raw.add_affine(p, *affine), ref.add(_ref(a), _ref(b)))
        assert _same(g1raw.add_affine(q, *affine), ref.double(_ref(b)))
        assert g1raw.is_inf(g1raw.add_affine(g1raw.neg(q), *affine))
    assert g1raw.eq(p, q) == ((a - b) % R == 0)


@settings(max_examples=30, deadline=None)
@given(SCALARS, SCALARS)
def test_multiplications_match_py_ecc(a: int, k: int) -> None:
    p, expected = _raw(a), ref.multiply(_ref(a), k)
    assert _same(g1raw.mul_window(p, k), expected)
    assert _same(g1raw.mul_public(p, k), expected)
    assert _same(g1raw.base_mul(k % R), _ref(k))
    assert _same(g1raw.double_mul_public(p, k, g1raw.GEN, a), ref.add(expected, _ref(a)))
    if k < 1 << 16:
        assert _same(g1raw.small_mul(p, k), expected)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(SCALARS, SCALARS), min_size=1, max_size=12))
def test_msm_matches_separate_multiplications(terms: list[tuple[int, int]]) -> None:
    expected = ref.Z1
    for a, k in terms:
        expected = ref.add(expected, ref.multiply(_ref(a), k))
    assert _same(g1raw.msm([k for _, k in terms], [_raw(a) for a, _ in terms]), expected)
    points = [G1(_raw(a)) for a, _ in terms]
    assert _same(multi_scalar_mul([Fr(k % R) for _, k in terms], points)._p, expected)


def _horner_ref(coefficients: list[int], x: int) -> Any:
    acc = ref.Z1
    for k, a in enumerate(coefficients):
        acc = ref.add(acc, ref.multiply(_ref(a), pow(x, k, R)))
    return acc


@settings(max_examples=25, deadline=None)
@given(st.lists(SCALARS, min_size=1, max_size=9), st.integers(-40, 300))
def test_horner_matches_the_plain_sum(coefficients: list[int], x: int) -> None:
    raw = [_raw(a) for a in coefficients]
    assert _same(g1raw.horner(raw, x), _horner_ref(coefficients, x))
    if 0 < x < 1 << 16:
        assert _same(horner([G1(p) for p in raw], x)._p, _horner_ref(coefficients, x))


@settings(max_examples=15, deadline=None)
@given(st.lists(SCALARS, min_size=1, max_size=12), st.sets(st.integers(1, 40), min_size=1, max_size=30))
def test_evaluate_at_indices_is_horner_at_each(coefficients: list[int], indices: set[int]) -> None:
    """Finite differences give Σ_k j^k·C_k at every index, with cancelling and identity terms too."""
    points = [G1(_raw(a)) for a in coefficients]
    got = evaluate_at_indices(points, sorted(indices))
    assert set(got) == indices
    for j in indices:
        assert got[j] == horner(points, j)


def test_edge_scalars_and_points() -> None:
    g = g1raw.GEN
    for mul in (g1raw.mul_window, g1raw.mul_public):
        assert g1raw.is_inf(mul(g, 0)) and g1raw.is_inf(mul(g, R)) and g1raw.is_inf(mul(g1raw.INF, 5))
        assert g1raw.eq(mul(g, 1), g) and g1raw.eq(mul(g, R - 1), g1raw.neg(g))
    assert g1raw.is_inf(g1raw.base_mul(0)) and g1raw.eq(g1raw.base_mul(R - 1), g1raw.neg(g))
    assert g1raw.eq(g1raw.add(g1raw.INF, g), g) and g1raw.eq(g1raw.add(g, g1raw.INF), g)
    assert g1raw.is_inf(g1raw.double(g1raw.INF)) and g1raw.is_inf(g1raw.msm([0, 0, 0, 0], [g] * 4))
    assert g1raw.batch_affine([g1raw.INF, g, g1raw.double(g)]) == [None, (1, 2), g1raw.to_affine(g1raw.double(g))]
    assert G1.generator() * Fr(0) == G1.identity() and (G1.generator() - G1.generator()).is_identity()


@settings(max_examples=4, deadline=None)
@given(st.integers(1, R - 1), st.integers(1, R - 1))
def test_raw_miller_loop_is_py_eccs(a: int, b: int) -> None:
    """Same lines in the same order: the raw Miller value equals py_ecc's coefficient for coefficient."""
    from py_ecc.optimized_bn128 import optimized_pairing

    from council.crypto.bn254.curve import G2, _miller

    p, q = G1.base_mul(Fr(a)), G2.base_mul(Fr(b))
    f = optimized_pairing.pairing(q._p, p.to_py_ecc(), final_exponentiate=False)
    assert _miller(p, q) == [int(c) for c in f.coeffs]


def test_pairing_check_falls_back_outside_the_subgroup() -> None:
    """A twist point outside G2 takes py_ecc's loop if the raw one meets a degenerate step; either
    way the check agrees with py_ecc's full pairing."""
    from bn254_helpers import twist_point_outside_g2
    from py_ecc.optimized_bn128 import optimized_pairing

    from council.crypto.bn254.curve import G2, _miller, pairing_check

    q, p = twist_point_outside_g2(), G1.base_mul(Fr(5))
    f = optimized_pairing.pairing(q._p, p.to_py_ecc(), final_exponentiate=False)
    assert _miller(p, q) == [int(c) for c in f.coeffs]
    assert pairing_check([(p, q), (-p, q)]) and not pairing_check([(p, G2.generator())])


@settings(max_examples=20, deadline=None)
@given(SCALARS, SCALARS)
def test_g2_raw_paths_match_py_ecc(a: int, b: int) -> None:
    """g2raw's addition, doubling, comb, wNAF and ψ against py_ecc's G2 arithmetic."""
    from council.crypto.bn254 import g2raw
    from council.crypto.bn254.curve import G2, _from_jac2, _psi_jac2, point_sum

    pa, pb = ref.multiply(ref.G2, a % R), ref.multiply(ref.G2, b % R)
    ja, jb = g2raw.from_py_ecc(pa), g2raw.from_py_ecc(pb)
    assert ref.eq(_from_jac2(g2raw.add(ja, jb)), ref.add(pa, pb))
    assert ref.eq(_from_jac2(g2raw.add(ja, ja)), ref.double(pa))
    assert ref.eq(_from_jac2(g2raw.add(ja, g2raw.neg(ja))), ref.Z2)
    assert ref.eq(_from_jac2(g2raw.mul_public(ja, b)), ref.multiply(pa, b))
    assert ref.eq(G2.base_mul(Fr(a % R))._p, pa)
    assert point_sum([G2(pa), G2(pb), G2(ref.neg(pa))], G2) == G2(pb)
    assert g2raw.eq(_psi_jac2(ja), g2raw.mul_public(ja, 6 * 4965661367192848881**2))
    assert g2raw.eq(ja, jb) == ((a - b) % R == 0)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(SCALARS, st.lists(st.integers(0, 6), min_size=3, max_size=3)), min_size=1, max_size=6))
def test_msm_columns_is_one_msm_per_column(rows: list[tuple[int, list[int]]]) -> None:
    """Lockstep affine columns equal separate sums, with repeated, opposite and identity points
    (small logs 0..6 and their negatives make P + P, P + (−P) and identities frequent)."""
    from council.crypto.bn254.curve import multi_scalar_mul_columns

    scalars = [k for k, _ in rows]
    logs = [[(v - 3) for v in row] for _, row in rows]
    points = [[G1(_raw(v % R)) for v in row] for row in logs]
    got = multi_scalar_mul_columns([Fr(k % R) for k in scalars], points)
    for c in range(3):
        expected = ref.Z1
        for k, row in zip(scalars, logs, strict=True):
            expected = ref.add(expected, ref.multiply(_ref(row[c]), k % R))
        assert _same(got[c]._p, expected)


def test_batch_add_and_double_edge_cases() -> None:
    g = g1raw.to_affine(g1raw.GEN)
    g2 = g1raw.to_affine(g1raw.double(g1raw.GEN))
    assert g is not None and g2 is not None
    minus_g = (g[0], g1raw.P - g[1])
    assert g1raw.batch_add([g, g, g, None, None], [g, minus_g, g2, g, None]) == [
        g2, None, g1raw.to_affine(g1raw.mul_public(g1raw.GEN, 3)), g, None]
    assert g1raw.batch_double([None, g]) == [None, g2]


@settings(max_examples=60, deadline=None)
@given(SCALARS)
def test_glv_split_is_short_and_exact(k: int) -> None:
    k1, k2 = g1raw.glv_split(k % R)
    assert (k1 + k2 * g1raw.LAMBDA - k) % R == 0
    assert max(abs(k1), abs(k2)).bit_length() <= 128


def test_glv_endomorphism_is_multiplication_by_lambda() -> None:
    assert pow(g1raw.BETA, 3, g1raw.P) == 1 and g1raw.BETA != 1
    assert (g1raw.LAMBDA * g1raw.LAMBDA + g1raw.LAMBDA + 1) % R == 0
    expected = ref.multiply(ref.G1, g1raw.LAMBDA)
    assert _same((g1raw.BETA, 2, 1), expected)
    p = _raw(987654321)
    assert g1raw.eq((g1raw.BETA * p[0] % g1raw.P, p[1], p[2]), g1raw.mul_window(p, g1raw.LAMBDA))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), min_size=1, max_size=7))
def test_sum_columns_is_the_plain_sum(logs: list[list[int]]) -> None:
    """Coefficient-wise sums in lockstep equal py_ecc's sums, cancelling and repeated points too."""
    from council.crypto.bn254.vss import sum_commitments

    rows = [[G1(_raw(v % R)) for v in row] for row in logs]
    got = sum_commitments(rows)
    for c in range(2):
        expected = ref.Z1
        for row in logs:
            expected = ref.add(expected, _ref(row[c]))
        assert _same(got[c]._p, expected)


def test_frobenius_table_is_py_eccs_power() -> None:
    from py_ecc.fields import optimized_bn128_FQ12 as fq12

    from council.crypto.bn254.curve import P, _frobenius_tables

    w_p = fq12([0, 1] + [0] * 10) ** P
    assert _frobenius_tables()[0][1] == [int(c) for c in w_p.coeffs]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 31, 32, 33, 63]), min_size=43, max_size=43))
def test_comb_digit_boundaries(windows: list[int]) -> None:
    """Scalars made of 6-bit windows at the signed-digit edges (carries through runs of 32..63)."""
    k = sum(d << (6 * i) for i, d in enumerate(windows)) % R
    assert _same(g1raw.base_mul(k), _ref(k))


def test_evaluate_at_indices_lockstep_with_degenerate_coefficients() -> None:
    """The lockstep window and differences meet identities and P + (−P) on the way; every Y_j
    still equals its own Horner evaluation."""
    g, minus_g = G1.generator(), -G1.generator()
    for coefficients in ([g, minus_g, G1.identity(), g, g, minus_g, G1.identity(), g, minus_g, g, g],
                         [G1.identity()] * 5 + [g],
                         [g.mul_small(j) for j in range(1, 14)]):
        got = evaluate_at_indices(coefficients, list(range(1, 41)))
        assert all(got[j] == horner(coefficients, j) for j in range(1, 41))


def test_written_out_constants_are_py_eccs() -> None:
    """The constants written out so that importing the BN254 code does not import py_ecc
    (decision 114): p, r and the Miller loop's signed digits of 6u + 2."""
    from py_ecc.optimized_bn128 import optimized_curve, optimized_pairing

    from council.crypto.bn254 import curve, pairing_raw

    assert (curve.P, curve.R) == (optimized_curve.field_modulus, optimized_curve.curve_order)
    assert pairing_raw._ATE_NAF == tuple(optimized_pairing.pseudo_binary_encoding[63::-1])
    assert optimized_pairing.pseudo_binary_encoding[64] == 1
    assert sum(d << i for i, d in enumerate(reversed((1, *pairing_raw._ATE_NAF)))) == 6 * curve.U + 2


def test_bn254_code_imports_py_ecc_on_first_use() -> None:
    """Importing the BN254 modules leaves py_ecc out; the first G2 use brings it in, and the
    stand-ins (kept by anyone who imported them early) keep forwarding to the real objects."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys\n"
            "from council.crypto.bn254 import curve, sharing, threshold, bls, proofs, hash_to_curve\n"
            "early_c, early_fq2 = curve._c, curve._FQ2\n"
            "assert not [m for m in sys.modules if m.startswith('py_ecc')], 'py_ecc imported'\n"
            "g = curve.G2.generator()\n"
            "assert 'py_ecc' in sys.modules and curve._c is not early_c\n"
            "assert g == curve.G2.base_mul(curve.Fr(1)) and curve.G2.identity().is_identity()\n"
            "assert early_c.Z2 is curve._c.Z2 and early_fq2.one() == curve._FQ2.one()\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=Path(__file__).parents[2])
