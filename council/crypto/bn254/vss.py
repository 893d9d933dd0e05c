"""Feldman VSS over BN254's scalar field with commitments in G1 (docs/protocol.md, BN254 section).

Same shape as council/crypto/vss.py: `A_k = a_k·g1`, share `f(j)`, check `f(j)·g1 == Σ_k j^k·A_k` by
Horner with small scalars. `find_bad_dealers` checks all of a receiver's shares at once against the
summed commitments and only on failure dealer by dealer, naming each culprit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from council.crypto.bn254.curve import G1, Fr, R, horner, sum_columns
from council.crypto.group import RandomSource


def random_polynomial(constant: Fr, threshold: int, rng: RandomSource | None = None) -> list[Fr]:
    """Coefficients a_0..a_{t−1} with a_0 = constant."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    return [constant] + [Fr.random(rng) for _ in range(threshold - 1)]


def evaluate(coefficients: Sequence[Fr], x: int) -> Fr:
    """f(x) mod r by Horner."""
    acc = 0
    for a in reversed(coefficients):
        acc = (acc * x + a.value) % R
    return Fr(acc)


def commit(coefficients: Sequence[Fr]) -> list[G1]:
    """Feldman commitments A_k = a_k·g1 (fixed-base table)."""
    return [G1.base_mul(a) for a in coefficients]


def deal(secret: Fr, threshold: int, indices: Iterable[int],
         rng: RandomSource | None = None) -> tuple[list[G1], dict[int, Fr]]:
    """Share `secret` with `threshold` among `indices`: (commitments, shares by index)."""
    coefficients = random_polynomial(secret, threshold, rng)
    return commit(coefficients), {j: evaluate(coefficients, j) for j in indices}


def commitment_at(commitments: Sequence[G1], index: int) -> G1:
    """Σ_k index^k·A_k: the public image of member `index`'s share."""
    return horner(commitments, index)


def share_is_valid(index: int, share: Fr, commitments: Sequence[G1]) -> bool:
    """Feldman check f(j)·g1 == Σ_k j^k·A_k."""
    return G1.base_mul(share) == commitment_at(commitments, index)


def sum_commitments(dealings: Iterable[Sequence[G1]]) -> list[G1]:
    """Coefficient-wise sum of several dealers' commitments (for the aggregate check)."""
    rows = [list(row) for row in dealings]
    if not rows or not rows[0]:
        raise ValueError("no commitments to sum")
    if len({len(row) for row in rows}) != 1:
        raise ValueError("dealings with different numbers of commitments")
    return sum_columns(rows)


def find_bad_dealers(index: int, shares: Mapping[int, Fr],
                     commitments: Mapping[int, Sequence[G1]]) -> dict[int, str]:
    """Dealers whose share for `index` fails Feldman: first `(Σ_i s_i)·g1 == Σ_k j^k·(Σ_i A_ik)`
    (additions only), then, only if that fails, dealer by dealer. Missing shares are culprits."""
    bad = {i: "no share" for i in commitments if i not in shares}
    present = [i for i in commitments if i in shares]
    if not present:
        return bad
    total = Fr.reduce(sum(shares[i].value for i in present))
    if share_is_valid(index, total, sum_commitments(commitments[i] for i in present)):
        return bad
    for i in present:
        if not share_is_valid(index, shares[i], commitments[i]):
            bad[i] = "share fails the Feldman check"
    return bad


def aggregate_is_valid(index: int, shares: Mapping[int, Fr], commitments: Mapping[int, Sequence[G1]]) -> bool:
    """The optimistic check alone: every dealer's share present and the sums agree."""
    if not commitments or any(i not in shares for i in commitments):
        return False
    total = Fr.reduce(sum(shares[i].value for i in commitments))
    return share_is_valid(index, total, sum_commitments(commitments[i] for i in commitments))
