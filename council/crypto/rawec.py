"""Raw P-256 point paths for the DKG's public computations (protocol.md, DKG steps 2 and 4).

pycryptodome's C point functions (`add`, `double`, `neg`, `clone`, `scalar_public`) called on raw
pointers, with no Python `EccPoint` built for intermediate results: about 2 µs a point addition
against 3.8 µs through `EccPoint.__iadd__`, and no copies. Only results become `Point`s.

Everything here is variable time and takes PUBLIC inputs only: commitments, member indices, proof
challenges. Secret scalars keep going through `Point.__mul__` / `Group.base_mul` (constant time).
Without the cffi backend of pycryptodome, each function falls back to the reference path of
`group`, which gives the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from Crypto.Util import _raw_api

from council.crypto import group, libcrypto
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


def _horner_raw(coefficients: Sequence[Any], x: int, scratch: _Scratch) -> Any:
    """Σ_k x^k·C_k for raw points C_k and an integer x (negative allowed), as a raw point owned
    by `scratch`. The double-and-add pattern of |x| is read once; C return codes checked once."""
    if x == 0:
        return scratch.clone(coefficients[0])
    acc = scratch.clone(coefficients[-1])
    rest = coefficients[-2::-1]
    double, add, neg, clone, free = _lib.double, _lib.add, _lib.neg, _lib.clone, _lib.free_point
    bits, negative, slot, err = bin(abs(x))[3:], x < 0, _ffi.new("void *[1]"), 0
    for c in rest:
        if bits:
            err |= clone(slot, acc)
            base = slot[0]
            for bit in bits:
                err |= double(acc)
                if bit == "1":
                    err |= add(acc, base)
            free(base)
        if negative:
            err |= neg(acc)
        err |= add(acc, c)
    if err:
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
        return scratch.result(_horner_raw([_raw(c) for c in coefficients], x, scratch))
    finally:
        scratch.close()


def point_sum(points: Sequence[Point]) -> Point:
    """Σ points (the identity for none)."""
    if not AVAILABLE or not points:
        return group.point_sum(points)
    scratch = _Scratch()
    try:
        acc, add, err = scratch.clone(_raw(points[0])), _lib.add, 0
        for p in points[1:]:
            err |= add(acc, _raw(p))
        if err:
            raise ValueError("point operation failed")
        return scratch.result(acc)
    finally:
        scratch.close()


def mul_public(point: Point, k: int) -> Point:
    """k·point for a PUBLIC scalar k (a proof challenge): variable time, no blinding."""
    k %= Q
    if k == 0:
        return Point.identity()
    if libcrypto.AVAILABLE or not AVAILABLE:  # libcrypto's: 100 µs against pycryptodome's 230 µs
        return point.mul_public(group.Scalar(k))
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

    With d = t − 1 and indices up to m: the values at the t integers around 0 (`_window`), their
    differences, then d additions for each further index up to m, instead of m·d Horner steps.
    Sparse index sets (m much larger than their number) get one Horner each."""
    if not indices:
        return {}
    if min(indices) < 1 or max(indices) >= 1 << group.SMALL_SCALAR_BITS:
        raise ValueError("indices must be in 1..2**16-1")
    top, d = max(indices), len(coefficients) - 1
    if not AVAILABLE or d < 2 or top > 2 * len(indices) + d:
        return {j: horner(coefficients, j) for j in indices}
    scratch = _Scratch()
    try:
        values = _values([_raw(c) for c in coefficients], 1, top, scratch)
        return {j: scratch.result(values[j - 1]) for j in sorted(set(indices))}
    finally:
        scratch.close()


_SPLIT_AT = 24
"""From this many coefficients on, `_window` splits the polynomial in two halves."""


def _values(coefficients: Sequence[Any], lo: int, hi: int, scratch: _Scratch) -> list[Any]:
    """Raw Y(x) for x = lo..hi (lo ≤ 1 ≤ hi), distinct raw points owned by `scratch`: the window
    of `_window`, extended upwards and downwards by differences (downwards is upwards for
    Y(−x), whose consecutive values are the same ones in reverse order)."""
    d = len(coefficients) - 1
    w0 = -(d // 2)
    window = _window(coefficients, scratch)  # Y(w0), ..., Y(w0 + d)
    up = _extend(window, hi - (w0 + d), scratch) if d >= 1 else [scratch.clone(window[0]) for _ in range(hi - w0)]
    down = _extend(window[::-1], w0 - lo, scratch) if d >= 1 else [scratch.clone(window[0]) for _ in range(w0 - lo)]
    line = down[::-1] + window + up  # Y(w0 − len(down)), ..., Y(w0 + d + len(up))
    first = w0 - max(0, w0 - lo)
    return line[lo - first : hi - first + 1]


def _window(coefficients: Sequence[Any], scratch: _Scratch) -> list[Any]:
    """Raw Y(x) for the t = d + 1 integers x = w0..w0 + d, w0 = −⌊d/2⌋ (magnitudes ≤ d/2).

    Few coefficients: one Horner each. Many: Y(x) = L(x) + x^m·H(x) with L the first m = ⌈t/2⌉
    coefficients and H the rest; L and H are evaluated on the same integers by `_values`
    (recursively, each from its own smaller window), and x^m·H(x) is one public multiplication."""
    d = len(coefficients) - 1
    w0 = -(d // 2)
    if d + 1 < _SPLIT_AT:
        return [_horner_raw(coefficients, w0 + i, scratch) for i in range(d + 1)]
    m = (d + 2) // 2
    low = _values(coefficients[:m], w0, w0 + d, scratch)
    high = _values(coefficients[m:], w0, w0 + d, scratch)
    err = 0
    for i, (lv, hv) in enumerate(zip(low, high, strict=True)):
        x = w0 + i
        if x == 0:
            continue  # Y(0) = L(0) = C_0
        k = pow(x, m, Q)
        kb = k.to_bytes((k.bit_length() + 7) // 8, "big")
        err |= _lib.scalar_public(hv, kb, len(kb)) | _lib.add(lv, hv)
    if err:
        raise ValueError("point operation failed")
    return low


def _extend(values: Sequence[Any], count: int, scratch: _Scratch) -> list[Any]:
    """The next `count` values after d + 1 consecutive values of a degree-d polynomial (d ≥ 1):
    backward differences at the last one, then d additions per step. `values` are not changed."""
    if count <= 0:
        return []
    d = len(values) - 1
    table = [scratch.clone(v) for v in values]
    add, neg, err, out = _lib.add, _lib.neg, 0, []
    # (1) table[d − k] becomes ∇^k Y at the last point: Δ^k Y(i) = Δ^{k−1} Y(i + 1) − Δ^{k−1} Y(i)
    for k in range(1, d + 1):
        for i in range(d - k + 1):
            err |= neg(table[i]) | add(table[i], table[i + 1])
    # (2) one step: ∇^k Y(x + 1) = ∇^k Y(x) + ∇^{k+1} Y(x + 1), from k = d − 1 down to 0
    for _ in range(count):
        for i in range(1, d + 1):
            err |= add(table[i], table[i - 1])
        out.append(scratch.clone(table[d]))
    if err:
        raise ValueError("point operation failed")
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
