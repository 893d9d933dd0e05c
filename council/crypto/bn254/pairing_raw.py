"""BN254's optimal ate Miller loop on plain Python integers, step for step py_ecc's `miller_loop`.

py_ecc runs the loop on points lifted into F_p¹² (every doubling a dozen F_p¹² products). Here the
moving point stays on the twist in affine F_p² coordinates, and each line is evaluated at P
directly as a sparse element of F_p¹²: with the twist of py_ecc, `(x, y) ↦ (e(x)·w², e(y)·w³)` where
`e(a + b·i) = (a − 9b) + b·w⁶` embeds F_p² in py_ecc's F_p¹² = F_p[w]/(w¹² − 18w⁶ + 82), the line
through T₁ and T₂ with slope λ (in F_p²) evaluated at P = (x_P, y_P) is
`λ'·(x_P − x₁') − (y_P − y₁') = −y_P + x_P·e(λ)·w + e(y₁ − λ·x₁)·w³` (λ' = e(λ)·w), and a vertical
line is `x_P − e(x₁)·w²`. Same lines as py_ecc in the same order, so the product is py_ecc's Miller
value exactly (a test checks). Elements of F_p¹² are lists of 12 integers (py_ecc's coefficients).
Pairing inputs are public (signatures, keys, commitments): nothing here needs to be constant-time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from council.crypto.bn254.g1raw import P

F2 = tuple[int, int]
F12 = list[int]
ONE12: Final[F12] = [1] + [0] * 11
_ATE_NAF: Final[tuple[int, ...]] = (
    1, 0, 1, 0, 0, -1, 0, 1, 1, 0, 0, 0, -1, 0, 0, 1, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 1,
    1, 1, 0, 0, 0, 0, -1, 0, 1, 0, 0, -1, 0, 1, 1, 0, 0, 1, 0, 0, -1, 1, 0, 0, -1, 0, 1, 0, 1, 0, 0, 0)
"""py_ecc's signed digits of 6u + 2 (`pseudo_binary_encoding`), most significant first, without the
leading 1; written out so that this module does not import py_ecc (a test holds it to py_ecc's)."""


class Exceptional(Exception):
    """The loop met the point at infinity (Q outside the order-r subgroup); the caller falls back."""


def f2mul(a: F2, b: F2) -> F2:
    a0, a1 = a
    b0, b1 = b
    return (a0 * b0 - a1 * b1) % P, (a0 * b1 + a1 * b0) % P


def f2inv(a: F2) -> F2:
    a0, a1 = a
    inv = pow((a0 * a0 + a1 * a1) % P, -1, P)
    return a0 * inv % P, -a1 * inv % P


def f2pow(a: F2, e: int) -> F2:
    """a^e in F_p² (square and multiply; public exponents only)."""
    out = (1, 0)
    for bit in bin(e)[2:]:
        out = f2mul(out, out)
        if bit == "1":
            out = f2mul(out, a)
    return out


_XI: Final = (9, 1)
PSI_X: Final = f2pow(_XI, (P - 1) // 3)
PSI_Y: Final = f2pow(_XI, (P - 1) // 2)


def psi(q: tuple[F2, F2]) -> tuple[F2, F2]:
    """The untwist-Frobenius-twist map on affine twist points: (x̄·ξ^((p−1)/3), ȳ·ξ^((p−1)/2))."""
    (x0, x1), (y0, y1) = q
    return f2mul((x0, -x1 % P), PSI_X), f2mul((y0, -y1 % P), PSI_Y)


def _reduce(c: list[int]) -> F12:
    """Coefficients of degree ≤ 22 modulo w¹² = 18w⁶ − 82 and p."""
    for i in range(len(c) - 1, 11, -1):
        top = c[i]
        if top:
            c[i - 6] += 18 * top
            c[i - 12] -= 82 * top
    return [v % P for v in c[:12]]


def f12mul(a: Sequence[int], b: Sequence[int]) -> F12:
    """a·b in py_ecc's F_p¹²."""
    out = [0] * 23
    for i, ai in enumerate(a):
        if ai:
            for j, bj in enumerate(b, i):
                out[j] += ai * bj
    return _reduce(out)


def f12sqr(a: Sequence[int]) -> F12:
    """a² in py_ecc's F_p¹² (the cross products once, doubled)."""
    out = [0] * 23
    for i, ai in enumerate(a):
        if ai:
            out[2 * i] += ai * ai
            twice = 2 * ai
            for j in range(i + 1, 12):
                out[i + j] += twice * a[j]
    return _reduce(out)


def _mul_sparse(a: Sequence[int], line: Sequence[tuple[int, int]]) -> F12:
    """a·l for a line l given as (degree, coefficient) pairs."""
    out = [0] * 23
    for k, coefficient in line:
        for j, aj in enumerate(a, k):
            out[j] += coefficient * aj
    return _reduce(out)


def _line(t1: tuple[F2, F2], t2: tuple[F2, F2], xp: int, yp: int) -> tuple[list[tuple[int, int]], tuple[F2, F2]]:
    """The line through T₁ and T₂ (the tangent if equal) at P, and T₁ + T₂ (affine, on the twist)."""
    (x1, y1), (x2, y2) = t1, t2
    if x1 == x2:
        if y1 != y2 or y1 == (0, 0):
            raise Exceptional("the Miller loop met the point at infinity")
        x1sq = f2mul(x1, x1)
        lam = f2mul((3 * x1sq[0], 3 * x1sq[1]), f2inv((2 * y1[0], 2 * y1[1])))
    else:
        lam = f2mul(((y2[0] - y1[0]) % P, (y2[1] - y1[1]) % P), f2inv(((x2[0] - x1[0]) % P, (x2[1] - x1[1]) % P)))
    lam_x1 = f2mul(lam, x1)
    c0, c1 = (y1[0] - lam_x1[0]) % P, (y1[1] - lam_x1[1]) % P
    line = [(0, -yp % P), (1, xp * (lam[0] - 9 * lam[1]) % P), (7, xp * lam[1] % P),
            (3, (c0 - 9 * c1) % P), (9, c1)]
    lam_sq = f2mul(lam, lam)
    x3 = ((lam_sq[0] - x1[0] - x2[0]) % P, (lam_sq[1] - x1[1] - x2[1]) % P)
    lx = f2mul(lam, ((x1[0] - x3[0]) % P, (x1[1] - x3[1]) % P))
    y3 = ((lx[0] - y1[0]) % P, (lx[1] - y1[1]) % P)
    return line, (x3, y3)


def _vertical(t1: tuple[F2, F2], xp: int) -> list[tuple[int, int]]:
    """The vertical line x = x₁' at P: x_P − e(x₁)·w²."""
    x0, x1 = t1[0]
    return [(0, xp % P), (2, -(x0 - 9 * x1) % P), (8, -x1 % P)]


def miller_loop(q: tuple[F2, F2], p: tuple[int, int]) -> F12:
    """py_ecc's `miller_loop(twist(Q), P)` without the final exponentiation, for affine Q on the
    twist and affine P in G1 (neither the identity). Raises `Exceptional` on a degenerate step."""
    xp, yp = p
    f, r = ONE12, q
    neg_q = (q[0], (-q[1][0] % P, -q[1][1] % P))
    for digit in _ATE_NAF:
        line, r = _line(r, r, xp, yp)
        f = _mul_sparse(f12sqr(f), line)
        if digit:
            line, r = _line(r, q if digit == 1 else neg_q, xp, yp)
            f = _mul_sparse(f, line)
    q1 = psi(q)
    q2 = psi(q1)
    nq2 = (q2[0], (-q2[1][0] % P, -q2[1][1] % P))
    line, r = _line(r, q1, xp, yp)
    f = _mul_sparse(f, line)
    if r[0] == nq2[0]:
        if r[1] == nq2[1]:
            line, _ = _line(r, nq2, xp, yp)
        else:
            line = _vertical(r, xp)  # the usual last line: R + Q1 = ψ²(Q), so R + Q1 − ψ²(Q) = 0
    else:
        line, _ = _line(r, nq2, xp, yp)
    return _mul_sparse(f, line)
