"""Shared BN254 test helpers: a pure in-process DKG and re-share, and points outside G2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from council.crypto.bn254 import sharing
from council.crypto.bn254.curve import _FQ2, G2, Fr, P, _c
from council.crypto.bn254.sharing import BnDealing, BnPrevious, BnPublicOutput
from council.crypto.bn254.threshold import lagrange_at_zero
from council.crypto.drbg import seeded

CTX = b"test-ceremony-digest"


@dataclass
class Epoch:
    """A BN254 key epoch: public output and every member's share."""

    output: BnPublicOutput
    shares: dict[int, Fr]
    threshold: int


def run_dkg(n: int, t: int, seed: bytes = b"bn254-dkg") -> Epoch:
    rng = seeded(seed)
    members = list(range(1, n + 1))
    dealt = {i: sharing.deal(None, t, members, CTX, i, rng) for i in members}
    dealings = {i: d for i, (d, _) in dealt.items()}
    key, bad = sharing.group_key(dealings)
    assert not bad
    weights = {i: Fr(1) for i in members}
    out = sharing.public_output(dealings, weights, members, key, None)
    shares = {j: sharing.receiver_share(out, weights, {i: s[j] for i, (_, s) in dealt.items()}, dealings, j)
              for j in members}
    return Epoch(out, shares, t)


def reshare(old: Epoch, new_members: list[int], t2: int, seed: bytes = b"bn254-reshare") -> Epoch:
    rng = seeded(seed)
    prev: BnPrevious = old.output.previous()
    dealers = sorted(old.shares)[: old.threshold]
    dealt: dict[int, tuple[BnDealing, dict[int, Fr]]] = {
        i: sharing.deal(old.shares[i], t2, new_members, CTX, i, rng) for i in dealers}
    for i, (d, _) in dealt.items():
        sharing.check_dealing(d, t2, CTX, i, prev.verification_shares[i])
    dealings = {i: d for i, (d, _) in dealt.items()}
    weights = lagrange_at_zero(dealers)
    out = sharing.public_output(dealings, weights, new_members, None, prev)
    shares = {j: sharing.receiver_share(out, weights, {i: s[j] for i, (_, s) in dealt.items()}, dealings, j)
              for j in new_members}
    return Epoch(out, shares, t2)


def _fq2_sqrt(a: Any) -> Any | None:
    """A square root in F_p² (p ≡ 3 mod 4; Adj and Rodríguez-Henríquez, algorithm 9), or None."""
    a1 = a ** ((P - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    if alpha == _FQ2([P - 1, 0]):
        return _FQ2([0, 1]) * x0
    b = (_FQ2.one() + alpha) ** ((P - 1) // 2)
    x = b * x0
    return x if x * x == a else None


def twist_point_outside_g2(seed: int = 1) -> G2:
    """A point on the twist curve that is not in the order-r subgroup (the cofactor is large)."""
    for x0 in range(seed, seed + 1000):
        x = _FQ2([x0, 1])
        y = _fq2_sqrt(x ** 3 + _c.b2)
        if y is not None:
            q = G2((x, y, _FQ2.one()))
            if not q.mul_int(int(_c.curve_order)).is_identity():
                return q
    raise AssertionError("no twist point found")
