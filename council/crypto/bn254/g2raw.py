"""BN254 G2 arithmetic on plain Python integers: Jacobian coordinates over F_p² = F_p[i]/(i² + 1),
elements as (re, im) pairs. The twist's b does not enter doubling or addition (a = 0), so the
formulas are those of `g1raw` over F_p². `G2` (curve.py) keeps py_ecc's projective triples and
converts at the edges without an inversion: Jacobian (X, Y, Z) is projective (X·Z, Y, Z³).

`base_mul` (secret scalars: a DKG dealer's constant term) follows the operation pattern of the
py_ecc comb it replaces (4-bit windows, zero digits skipped; not constant-time); `mul_public` takes
PUBLIC scalars only (the subgroup check's 6u²).
"""

from __future__ import annotations

from typing import Any, Final

from council.crypto.bn254.g1raw import WINDOW, P, R, wnaf

F2 = tuple[int, int]
Jac2 = tuple[F2, F2, F2]
ZERO2: Final[F2] = (0, 0)
ONE2: Final[F2] = (1, 0)
INF2: Final[Jac2] = (ONE2, ONE2, ZERO2)


def _mul(a: F2, b: F2) -> F2:
    a0, a1 = a
    b0, b1 = b
    t0, t1 = a0 * b0, a1 * b1
    return (t0 - t1) % P, ((a0 + a1) * (b0 + b1) - t0 - t1) % P


def _sqr(a: F2) -> F2:
    a0, a1 = a
    return (a0 + a1) * (a0 - a1) % P, 2 * a0 * a1 % P


def _sub(a: F2, b: F2) -> F2:
    return (a[0] - b[0]) % P, (a[1] - b[1]) % P


def double(p: Jac2) -> Jac2:
    """2·P (dbl-2009-l over F_p²)."""
    x, y, z = p
    if z == ZERO2 or y == ZERO2:
        return INF2
    xx = _sqr(x)
    yy = _sqr(y)
    xyy = _mul(x, yy)
    s = (4 * xyy[0] % P, 4 * xyy[1] % P)
    m = (3 * xx[0], 3 * xx[1])
    mm = _sqr(m)
    x3 = ((mm[0] - 2 * s[0]) % P, (mm[1] - 2 * s[1]) % P)
    y4 = _sqr(yy)
    t = _mul(m, _sub(s, x3))
    yz = _mul(y, z)
    return x3, ((t[0] - 8 * y4[0]) % P, (t[1] - 8 * y4[1]) % P), (2 * yz[0] % P, 2 * yz[1] % P)


def add(p: Jac2, q: Jac2) -> Jac2:
    """P + Q for any two points (add-2007-bl over F_p²; P + P doubles, P + (−P) is the identity)."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == ZERO2:
        return q
    if z2 == ZERO2:
        return p
    z1z1, z2z2 = _sqr(z1), _sqr(z2)
    u1, u2 = _mul(x1, z2z2), _mul(x2, z1z1)
    s1, s2 = _mul(_mul(y1, z2), z2z2), _mul(_mul(y2, z1), z1z1)
    h, r = _sub(u2, u1), _sub(s2, s1)
    if h == ZERO2:
        return double(p) if r == ZERO2 else INF2
    hh = _sqr(h)
    hhh = _mul(h, hh)
    v = _mul(u1, hh)
    rr = _sqr(r)
    x3 = ((rr[0] - hhh[0] - 2 * v[0]) % P, (rr[1] - hhh[1] - 2 * v[1]) % P)
    t, u = _mul(r, _sub(v, x3)), _mul(s1, hhh)
    return x3, _sub(t, u), _mul(_mul(z1, z2), h)


def neg(p: Jac2) -> Jac2:
    x, (y0, y1), z = p
    return x, (-y0 % P, -y1 % P), z


def mul_public(p: Jac2, k: int) -> Jac2:
    """k·P for a PUBLIC k ≥ 0 (wNAF, w = 5). Variable time."""
    if k == 0 or p[2] == ZERO2:
        return INF2
    two = double(p)
    table = [p]
    for _ in range(7):
        table.append(add(table[-1], two))
    acc = INF2
    digits = wnaf(k, 5)
    for i in range(len(digits) - 1, -1, -1):
        acc = double(acc)
        d = digits[i]
        if d > 0:
            acc = add(acc, table[d >> 1])
        elif d < 0:
            acc = add(acc, neg(table[(-d) >> 1]))
    return acc


_COMB: list[list[list[Jac2]]] = []


def base_mul(gen: Jac2, k: int) -> Jac2:
    """k·gen for 0 ≤ k < r by the 4-bit comb (at most 64 additions, no doublings), skipping zero
    digits as the py_ecc comb it replaces did; the table (one generator) is built on first use."""
    if not _COMB:
        table, base = [], gen
        for _ in range((R.bit_length() + WINDOW - 1) // WINDOW):
            row = [INF2, base]
            for _ in range(14):
                row.append(add(row[-1], base))
            table.append(row)
            base = add(row[15], base)
        _COMB.append(table)
    rows, acc, w = _COMB[0], INF2, 0
    while k:
        digit = k & 15
        if digit:
            acc = add(acc, rows[w][digit])
        k >>= WINDOW
        w += 1
    return acc


def from_py_ecc(q: Any) -> Jac2:
    """py_ecc's projective (x/z, y/z) over FQ2 as Jacobian: (x·z, y·z², z)."""
    x, y, z = ((int(c.coeffs[0]), int(c.coeffs[1])) for c in q)
    return _mul(x, z), _mul(y, _sqr(z)), z


def to_projective(p: Jac2) -> tuple[F2, F2, F2]:
    """Jacobian (X, Y, Z) as projective coefficients (X·Z, Y, Z³); the identity as (1, 1, 0)."""
    x, y, z = p
    if z == ZERO2:
        return ONE2, ONE2, ZERO2
    return _mul(x, z), y, _mul(_sqr(z), z)


def eq(p: Jac2, q: Jac2) -> bool:
    """P == Q (projective comparison)."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == ZERO2 or z2 == ZERO2:
        return z1 == z2 == ZERO2
    z1z1, z2z2 = _sqr(z1), _sqr(z2)
    return (_mul(x1, z2z2) == _mul(x2, z1z1)
            and _mul(_mul(y1, z2), z2z2) == _mul(_mul(y2, z1), z1z1))
