"""Lagrange coefficients at zero over Z_q, for member indices 1..n."""

from __future__ import annotations

from collections.abc import Iterable

from council.crypto.group import Q, Scalar


def lagrange_at_zero(indices: Iterable[int]) -> dict[int, Scalar]:
    """λ_i = Π_{j∈S, j≠i} j / (j − i) mod q for every i in S (distinct, positive indices)."""
    given = list(indices)
    s = sorted(set(given))
    if len(s) != len(given):
        raise ValueError("indices must be distinct")
    if not s or s[0] <= 0 or s[-1] >= Q:
        raise ValueError("indices must be in 1..q-1")
    coeffs: dict[int, Scalar] = {}
    for i in s:
        num, den = 1, 1
        for j in s:
            if j != i:
                num = num * j % Q
                den = den * (j - i) % Q
        coeffs[i] = Scalar(num * pow(den, -1, Q) % Q)
    return coeffs
