"""Lagrange coefficients at zero over Z_q, for member indices 1..n."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import comb, gcd, lcm, prod

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


def integer_lagrange_at_zero(indices: Sequence[int], modulus: int) -> tuple[list[int], int] | None:
    """(m_i in the order of `indices`, L > 0) with λ_i = m_i / L exactly over the rationals (for
    S = {1..t}, m_i = ±binom(t, i) and L = 1); None when the m_i would not be shorter than scalars
    mod `modulus`. Public indices only: it lets a multi-scalar multiplication by Lagrange weights
    run on short integers."""
    if min(indices) <= 0:
        raise ValueError("indices must be positive")
    if all(i == k for k, i in enumerate(indices, start=1)):  # S = {1..t} in order: ±binom(t, i)
        t = len(indices)
        return _shorter([comb(t, i) if i % 2 else -comb(t, i) for i in indices], 1, modulus)
    nums, dens = [], []
    total = prod(indices)  # Π_{j≠i} j is total // i
    for i in indices:
        num, den = total // i, 1
        for j in indices:
            if j != i:
                den *= j - i
        g = gcd(num, den) * (1 if den > 0 else -1)
        nums.append(num // g)
        dens.append(den // g)
    denominator = lcm(*dens)
    return _shorter([n * (denominator // d) for n, d in zip(nums, dens, strict=True)], denominator, modulus)


def _shorter(numerators: list[int], denominator: int, modulus: int) -> tuple[list[int], int] | None:
    """The pair, or None when it would not be shorter than scalars mod `modulus`."""
    if max(abs(m) for m in numerators).bit_length() >= modulus.bit_length() or denominator >= modulus:
        return None
    return numerators, denominator
