"""Raw P-256 point paths for the DKG's public computations (protocol.md, DKG steps 2 and 4).

pycryptodome's C point functions (`add`, `double`, `neg`, `clone`, `scalar_public`) called on raw
pointers, with no Python `EccPoint` built for intermediate results: about 1.3 µs a point operation
against 3.5 µs through `EccPoint.__iadd__` and friends. Only results become `Point`s.

Everything here is variable time and takes PUBLIC inputs only: commitments, member indices, proof
challenges. Secret scalars keep going through `Point.__mul__` / `Group.base_mul` (constant time).
Without the cffi backend of pycryptodome, each function falls back to the reference path of
`group`, which gives the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from Crypto.Util import _raw_api

from council.crypto import group
from council.crypto.group import EccPoint, Point, Q

_ffi: Any = getattr(_raw_api, "ffi", None) if getattr(_raw_api, "backend", "") == "cffi" else None
_CURVE: Any = getattr(group, "_CURVE")  # noqa: B009
_lib: Any = _CURVE.rawlib
AVAILABLE = _ffi is not None
"""True when the raw paths are in use (cffi backend); the fallbacks give the same results."""


class _Scratch:
    """Raw points made during one computation; `close` frees those not handed out as results."""

    def __init__(self) -> None:
        self._owned: set[Any] = set()
        self._slot = _ffi.new("void *[1]")

    def clone(self, raw: Any) -> Any:
        if _lib.clone(self._slot, raw):
            raise ValueError("cannot copy an EC point")
        copy = self._slot[0]
        self._owned.add(copy)
        return copy

    def free(self, raw: Any) -> None:
        self._owned.remove(raw)
        _lib.free_point(raw)

    def result(self, raw: Any) -> Point:
        """Hand `raw` (made by `clone`) out as a Point, which from now on owns and frees it."""
        self._owned.remove(raw)
        return _wrap(raw)

    def close(self) -> None:
        for raw in self._owned:
            _lib.free_point(raw)
        self._owned.clear()


def _wrap(raw: Any) -> Point:
    inner = EccPoint.__new__(EccPoint)
    inner._curve, inner.curve = _CURVE, _CURVE.canonical
    inner._point = _raw_api.SmartPointer(raw, _lib.free_point)
    return Point(inner)


def _raw(p: Point) -> Any:
    return p._p._point.get()


def _times_small(acc: Any, x: int, scratch: _Scratch) -> None:
    """acc = x·acc in place for a public integer x ≥ 1 (left-to-right double-and-add)."""
    if x == 1:
        return
    base = scratch.clone(acc)
    for bit in bin(x)[3:]:
        if _lib.double(acc) or (bit == "1" and _lib.add(acc, base)):
            raise ValueError("point operation failed")
    scratch.free(base)


def _horner_raw(coefficients: Sequence[Point], x: int, scratch: _Scratch) -> Any:
    """Σ_k x^k·C_k for an integer x (negative allowed), as a raw point owned by `scratch`."""
    if x == 0:
        return scratch.clone(_raw(coefficients[0]))
    acc = scratch.clone(_raw(coefficients[-1]))
    for c in reversed(coefficients[:-1]):
        _times_small(acc, abs(x), scratch)
        if (x < 0 and _lib.neg(acc)) or _lib.add(acc, _raw(c)):
            raise ValueError("point operation failed")
    return acc


def horner(coefficients: Sequence[Point], x: int) -> Point:
    """Σ_k x^k·C_k for a public member index 1 ≤ x < 2^16 (Feldman checks, one Y_j)."""
    if not 0 < x < (1 << group.SMALL_SCALAR_BITS):
        raise ValueError("horner takes a public integer in 1..2**16-1")
    if not coefficients:
        raise ValueError("no coefficients")
    if not AVAILABLE:
        return group.horner(coefficients, x)
    scratch = _Scratch()
    try:
        return scratch.result(_horner_raw(coefficients, x, scratch))
    finally:
        scratch.close()


def point_sum(points: Sequence[Point]) -> Point:
    """Σ points (the identity for none)."""
    if not AVAILABLE or not points:
        return group.point_sum(points)
    scratch = _Scratch()
    try:
        acc = scratch.clone(_raw(points[0]))
        for p in points[1:]:
            _lib.add(acc, _raw(p))
        return scratch.result(acc)
    finally:
        scratch.close()


def mul_public(point: Point, k: int) -> Point:
    """k·point for a PUBLIC scalar k (a proof challenge): variable time, no blinding."""
    k %= Q
    if k == 0:
        return Point.identity()
    if not AVAILABLE:
        return point * group.Scalar(k)
    scratch = _Scratch()
    try:
        acc = scratch.clone(_raw(point))
        kb = k.to_bytes((k.bit_length() + 7) // 8, "big")
        if _lib.scalar_public(acc, kb, len(kb)):
            raise ValueError("scalar multiplication failed")
        return scratch.result(acc)
    finally:
        scratch.close()


def evaluate_at_indices(coefficients: Sequence[Point], indices: Sequence[int]) -> dict[int, Point]:
    """Y_j = Σ_k j^k·C_k for every public index j (protocol.md, DKG step 4).

    With d = t − 1 and indices up to m: Horner at the t integers −h..d−h (h = ⌊d/2⌋, small
    magnitudes, so few doublings), their backward differences, then one addition per difference
    for each further index up to m. About t² + (m − t/2)·t point additions instead of m·t Horner
    steps. Sparse index sets (m much larger than their number) get one Horner each."""
    if not indices:
        return {}
    if min(indices) < 1 or max(indices) >= 1 << group.SMALL_SCALAR_BITS:
        raise ValueError("indices must be in 1..2**16-1")
    top, d = max(indices), len(coefficients) - 1
    if not AVAILABLE or d < 2 or top > 2 * len(indices) + d:
        return {j: horner(coefficients, j) for j in indices}
    scratch = _Scratch()
    try:
        values = _values_by_differences(coefficients, top, scratch)
        return {j: scratch.result(values[j]) for j in sorted(set(indices))}
    finally:
        scratch.close()


def _values_by_differences(coefficients: Sequence[Point], top: int, scratch: _Scratch) -> dict[int, Any]:
    """Raw Y(x) for x = 1..top, each a distinct raw point owned by `scratch`."""
    d = len(coefficients) - 1
    low = -(d // 2)
    table = [_horner_raw(coefficients, low + i, scratch) for i in range(d + 1)]  # Y(low + i)
    out = {x: scratch.clone(table[x - low]) for x in range(1, min(top, low + d) + 1)}
    # (1) backward differences at x = low + d: table[d − m] becomes ∇^m Y(low + d)
    for m in range(1, d + 1):
        for i in range(d - m + 1):
            _lib.neg(table[i])
            _lib.add(table[i], table[i + 1])  # Δ^m Y(low + i) = Δ^{m−1} Y(low + i + 1) − Δ^{m−1} Y(low + i)
    # (2) step x → x + 1: ∇^m Y(x + 1) = ∇^m Y(x) + ∇^{m+1} Y(x + 1), from m = d − 1 down to 0
    for x in range(low + d + 1, top + 1):
        for i in range(1, d + 1):
            _lib.add(table[i], table[i - 1])
        if x >= 1:
            out[x] = scratch.clone(table[d])
    return out


def multi_scalar_mul(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """Σ k_i·P_i for PUBLIC scalars (Lagrange weights): separate public multiplications for few
    terms, the bucket method of `msm` from 32 on (where it starts to pay)."""
    if len(scalars) != len(points):
        raise ValueError("as many scalars as points")
    if AVAILABLE and len(points) < group.MSM_MIN_TERMS:
        return point_sum([mul_public(p, k) for k, p in zip(scalars, points, strict=True)])
    from council.crypto.msm import msm  # msm builds on group too; imported here to keep rawec first

    return msm(scalars, points)
