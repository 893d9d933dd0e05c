"""Multi-scalar multiplication Σ k_i·P_i for PUBLIC scalars, tuned for batch proof checks.

Pippenger's bucket method with signed digits (half the buckets), a window chosen from a cost
model, zero digits skipped (so 128-bit batch weights cost half a 256-bit scalar), and the C point
functions of pycryptodome called directly on raw pointers: about 1.3 µs per point operation
against 2.3 µs through `EccPoint.__iadd__`. Variable time: never pass a secret scalar.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from Crypto.Util import _raw_api
from Crypto.Util._raw_api import VoidPointer

from council.crypto.group import EccPoint, Point, Q

_MIN_WINDOW = 2
_MAX_WINDOW = 9
_COPY_COST = 1.0  # a point copy (allocation) costs about one addition
_ffi: Any = getattr(_raw_api, "ffi", None) if getattr(_raw_api, "backend", "") == "cffi" else None


def window_for(bit_lengths: Sequence[int]) -> int:
    """The window width minimising the work: in each window, one addition per scalar long enough
    to reach it, plus, per bucket, two additions to sum it and about one copy."""
    ordered = sorted(bit_lengths)

    def cost(c: int) -> float:
        top = ordered[-1] // c + 1
        reaching = sum(len(ordered) - bisect.bisect_right(ordered, w * c) for w in range(top))
        return reaching + top * (1 << (c - 1)) * (2 + _COPY_COST)
    return min(range(_MIN_WINDOW, _MAX_WINDOW + 1), key=cost)


def signed_digits(k: int, c: int) -> list[tuple[int, int]]:
    """(window, digit) pairs with digits in [-2^(c-1), 2^(c-1)], zeros left out: k = Σ d·2^(c·w)."""
    half, full, mask = 1 << (c - 1), 1 << c, (1 << c) - 1
    out, w = [], 0
    while k:
        d = k & mask
        k >>= c
        if d > half:
            d -= full
            k += 1
        if d:
            out.append((w, d))
        w += 1
    return out


class _Arena:
    """Raw point copies made during one multiplication, all freed by `close`. With the cffi
    backend one output slot is reused for every copy (1.3 µs a copy instead of 6 µs)."""

    def __init__(self, lib: Any) -> None:
        self._clone, self._free = lib.clone, lib.free_point
        self._owned: list[Any] = []
        self._slot = _ffi.new("void *[1]") if _ffi is not None else None

    def clone(self, raw: Any) -> Any:
        if self._slot is not None:
            if self._clone(self._slot, raw):
                raise ValueError("cannot copy an EC point")
            copy = self._slot[0]
        else:
            out = VoidPointer()
            if self._clone(out.address_of(), raw):
                raise ValueError("cannot copy an EC point")
            copy = out.get()
        self._owned.append(copy)
        return copy

    def close(self) -> None:
        for raw in self._owned:
            self._free(raw)
        self._owned.clear()


def msm(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """Σ scalars[i]·points[i] (scalars are reduced mod q). Public scalars only."""
    if len(scalars) != len(points):
        raise ValueError("as many scalars as points")
    ks = [k % Q for k in scalars]
    terms = [(k, p) for k, p in zip(ks, points, strict=True) if k]
    if not terms:
        return Point.identity()
    lengths = [k.bit_length() for k, _ in terms]
    bits = max(lengths)
    c = window_for(lengths)
    lib = terms[0][1]._p._curve.rawlib
    arena = _Arena(lib)
    try:
        return _multiply(terms, bits, c, lib, arena)
    finally:
        arena.close()


def msm_columns(scalars: Sequence[int], rows: Sequence[Sequence[Point]]) -> list[Point]:
    """[Σ_i scalars[i]·rows[i][k] for every column k] (scalars taken mod q, negative ones allowed):
    one multiplication per column with the same scalars, whose window and signed digits are
    worked out once, and a negative scalar negates its points in C (no new Point objects).
    Public scalars only (variable time)."""
    if len(scalars) != len(rows):
        raise ValueError("as many scalars as rows")
    width = len(rows[0]) if rows else 0
    if any(len(row) != width for row in rows):
        raise ValueError("rows of one length")
    terms = [(abs(k) % Q, k < 0, row) for k, row in zip(scalars, rows, strict=True) if k % Q]
    if not terms or not width:
        return [Point.identity() for _ in range(width)]
    lengths = [m.bit_length() for m, _, _ in terms]
    c = window_for(lengths)
    digits = [(signed_digits(m, c), negative) for m, negative, _ in terms]
    lib = terms[0][2][0]._p._curve.rawlib
    out = []
    for k in range(width):
        arena = _Arena(lib)
        try:
            windows: list[list[tuple[int, Any]]] = [[] for _ in range(max(lengths) // c + 2)]
            for (ds, negative), (_, _, row) in zip(digits, terms, strict=True):
                _sort_digits(windows, row[k]._p._point.get(), ds, negative, lib, arena)
            out.append(_accumulate(windows, c, lib, arena))
        finally:
            arena.close()
    return out


def _multiply(terms: list[tuple[int, Point]], bits: int, c: int, lib: Any, arena: _Arena) -> Point:
    """Sort every signed digit into its window, then accumulate the windows."""
    windows: list[list[tuple[int, Any]]] = [[] for _ in range(bits // c + 2)]
    for k, p in terms:
        _sort_digits(windows, p._p._point.get(), signed_digits(k, c), False, lib, arena)
    return _accumulate(windows, c, lib, arena)


def _sort_digits(windows: list[list[tuple[int, Any]]], raw: Any, digits: list[tuple[int, int]], negative: bool,
                 lib: Any, arena: _Arena) -> None:
    """Each digit of (−1 if `negative`)·k into its window as (|d|, ±P): the negated point is
    one C copy, made on first use."""
    negated = None
    for w, d in digits:
        if (d < 0) != negative:
            if negated is None:
                negated = arena.clone(raw)
                lib.neg(negated)
            windows[w].append((abs(d), negated))
        else:
            windows[w].append((abs(d), raw))


def _accumulate(windows: list[list[tuple[int, Any]]], c: int, lib: Any, arena: _Arena) -> Point:
    """Horner over windows, top first: acc = 2^c·acc + Σ_d d·(bucket d)."""
    add, double = lib.add, lib.double
    result = EccPoint(0, 0, "p256")
    acc = result._point.get()
    started = False
    for bucket_items in reversed(windows):
        if started:
            for _ in range(c):
                double(acc)
        if not bucket_items:
            continue
        total = _window_sum(bucket_items, c, add, arena)
        add(acc, total)
        started = True
    return Point(result)


def _window_sum(items: list[tuple[int, Any]], c: int, add: Any, arena: _Arena) -> Any:
    """Σ d·B_d by the running-sum trick; a bucket holding one point borrows it (no copy)."""
    half = 1 << (c - 1)
    buckets: list[Any] = [None] * (half + 1)
    owned = [False] * (half + 1)
    for d, raw in items:
        b = buckets[d]
        if b is None:
            buckets[d] = raw
        else:
            if not owned[d]:
                b = buckets[d] = arena.clone(b)
                owned[d] = True
            add(b, raw)
    running = total = None
    for d in range(half, 0, -1):
        b = buckets[d]
        if b is not None:
            if running is None:
                running = arena.clone(b)
            else:
                add(running, b)
        if running is not None:
            if total is None:
                total = arena.clone(running)
            else:
                add(total, running)
    return total
