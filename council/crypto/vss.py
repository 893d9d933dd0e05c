"""Feldman verifiable secret sharing (protocol.md, building blocks).

A dealer picks `f(z) = a_0 + … + a_{t−1} z^{t−1}`, publishes `A_k = a_k·G` and gives member `j` the
share `f(j)`. Member `j` checks `f(j)·G == Σ_k j^k·A_k`, evaluated by Horner with small scalars
(point doublings and additions instead of full scalar multiplications) on raw points (`rawec`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from council.crypto import rawec
from council.crypto.group import P256, Point, Q, RandomSource, Scalar


def random_polynomial(constant: Scalar, threshold: int, rng: RandomSource | None = None) -> list[Scalar]:
    """Coefficients a_0..a_{t−1} with a_0 = constant."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    return [constant] + [Scalar.random(rng) for _ in range(threshold - 1)]


def evaluate(coefficients: Sequence[Scalar], x: int) -> Scalar:
    """f(x) mod q by Horner."""
    acc = 0
    for a in reversed(coefficients):
        acc = (acc * x + a.value) % Q
    return Scalar(acc)


def commit(coefficients: Sequence[Scalar]) -> list[Point]:
    """Feldman commitments A_k = a_k·G."""
    return [P256.base_mul(a) for a in coefficients]


def deal(secret: Scalar, threshold: int, indices: Iterable[int],
         rng: RandomSource | None = None) -> tuple[list[Point], dict[int, Scalar]]:
    """Share `secret` with `threshold` among `indices`: (commitments, shares by index)."""
    coefficients = random_polynomial(secret, threshold, rng)
    return commit(coefficients), {j: evaluate(coefficients, j) for j in indices}


def commitment_at(commitments: Sequence[Point], index: int) -> Point:
    """Σ_k index^k·A_k by Horner: the public image of the share of member `index`."""
    return rawec.horner(commitments, index)


def commitments_at(commitments: Sequence[Point], indices: Sequence[int]) -> dict[int, Point]:
    """`commitment_at` for every index at once (finite differences: additions after the first t)."""
    return rawec.evaluate_at_indices(commitments, indices)


def share_is_valid(index: int, share: Scalar, commitments: Sequence[Point]) -> bool:
    """Feldman check f(j)·G == Σ_k j^k·A_k."""
    return P256.base_mul(share) == commitment_at(commitments, index)


def sum_commitments(dealings: Iterable[Sequence[Point]]) -> list[Point]:
    """Coefficient-wise sum of several dealers' commitments (for the aggregate check)."""
    columns = list(zip(*dealings, strict=True))
    if not columns:
        raise ValueError("no commitments to sum")
    return [rawec.point_sum(column) for column in columns]
