"""Multi-scalar multiplication Σ k_i·P_i for PUBLIC scalars, tuned for batch proof checks.

Pippenger's bucket method with signed digits (half the buckets), a window chosen from a cost
model, zero digits skipped (so 128-bit batch weights cost half a 256-bit scalar), and the C point
functions of pycryptodome called directly on raw pointers (a call costs about as much again as
the C work, so the count of calls is what is minimised). Each window adds its points, bucket by
bucket from the largest digit down, to one running sum (a copy of the identity), and adds the
running sum to the result after each bucket: Σ_d d·B_d without a copy or a sum per bucket (one
addition per point and one per bucket), every addition of a window issued from one
`starmap` over (target, point) pairs, so no Python bytecode runs between them. A scalar above q/2 is taken as −(q − k) on the negated point, so short negative
integers (Lagrange numerators) stay short, and terms of one long |k| are summed before the
multiplication (±binom(t, i) pairs). Variable time: never pass a secret scalar.

Where libcrypto 3 is on the machine (`libcrypto`), `msm` hands it the multiplications it does
faster (long scalars: a batch proof check, 4x), keeping this method for short ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain, starmap
from operator import itemgetter
from typing import Any

from Crypto.Util import _raw_api
from Crypto.Util._raw_api import VoidPointer

from council.crypto import libcrypto
from council.crypto.group import EccPoint, Point, Q

_ZERO: Any = EccPoint(0, 0, "p256")  # the identity, only ever copied
_MIN_WINDOW = 2
_MAX_WINDOW = 10
_ffi: Any = getattr(_raw_api, "ffi", None) if getattr(_raw_api, "backend", "") == "cffi" else None


def window_for(bit_lengths: Sequence[int]) -> int:
    """The window width with the fewest C calls: in each window, one addition per scalar whose
    digits reach it, one per bucket, and c doublings (lengths counted once per distinct value)."""
    return _plan(bit_lengths)[0]


def _plan(bit_lengths: Sequence[int]) -> tuple[int, int]:
    """(window width, C calls at that width) of the bucket method for scalars of these lengths."""
    counts = list(Counter(bit_lengths).items()) if len(bit_lengths) > 32 else [(b, 1) for b in bit_lengths]
    top = max(bit_lengths)

    def cost(c: int) -> int:
        windows = top // c + 2
        return sum(n * (b // c + 2) for b, n in counts) + windows * ((1 << (c - 1)) + c)
    return min(((c, cost(c)) for c in range(_MIN_WINDOW, _MAX_WINDOW + 1)), key=itemgetter(1))


_CALL_US = 1.9  # one point addition issued from Python (measured, decisions.md #116)
_NATIVE_TERM_US, _NATIVE_CALL_US = 32.0, 80.0  # libcrypto: per term (any length) and per call


def native_is_cheaper(bit_lengths: Sequence[int]) -> bool:
    """True when libcrypto's `EC_POINTs_mul` is expected to beat the bucket method here: it costs
    the same for any scalar length, the bucket method less for short ones (Lagrange numerators)."""
    if not libcrypto.AVAILABLE or not bit_lengths:
        return False
    return _plan(bit_lengths)[1] * _CALL_US > _NATIVE_TERM_US * len(bit_lengths) + _NATIVE_CALL_US


def _offset(c: int, windows: int) -> int:
    """half·Σ_w 2^(c·w): added to k, its base-2^c digits minus half are k's signed digits."""
    half = 1 << (c - 1)
    return sum(half << (c * w) for w in range(windows))


def signed_digits(k: int, c: int) -> list[tuple[int, int]]:
    """(window, digit) pairs with digits in [-2^(c-1), 2^(c-1)), zeros left out: k = Σ d·2^(c·w)
    (k ≥ 0). The recoding `msm` uses: the unsigned digits of k + half·Σ 2^(c·w), less half."""
    half, mask = 1 << (c - 1), (1 << c) - 1
    windows = k.bit_length() // c + 2
    shifted = k + _offset(c, windows)
    digits = (((shifted >> (c * w)) & mask) - half for w in range(windows))
    return [(w, d) for w, d in enumerate(digits) if d]


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

    def negations(self, raws: Sequence[Any], neg: Any) -> list[Any]:
        """−P for every raw P, as copies owned here (one tight loop: a copy and a negation each)."""
        if self._slot is None:
            out = [self.clone(raw) for raw in raws]
            err = sum(map(neg, out))
        else:
            clone, slot, out, err = self._clone, self._slot, [], 0
            for raw in raws:
                err |= clone(slot, raw)
                copy = slot[0]
                out.append(copy)
                err |= neg(copy)
            self._owned += out
        if err:
            raise ValueError("cannot copy or negate an EC point")
        return out

    def close(self) -> None:
        for raw in self._owned:
            self._free(raw)
        self._owned.clear()


def msm(scalars: Sequence[int], points: Sequence[Point], native: bool = True) -> Point:
    """Σ scalars[i]·points[i] (scalars are reduced mod q). Public scalars only. In libcrypto when
    it is there and cheaper for these lengths (`native_is_cheaper`), unless `native` is False."""
    if len(scalars) != len(points):
        raise ValueError("as many scalars as points")
    terms = [(k % Q, p) for k, p in zip(scalars, points, strict=True)]
    terms = [(k, p) for k, p in terms if k]
    if not terms:
        return Point.identity()
    if native and native_is_cheaper([min(k, Q - k).bit_length() for k, _ in terms]):
        return _in_libcrypto(terms)
    lib = terms[0][1]._p._curve.rawlib
    arena = _Arena(lib)
    try:
        return _multiply(terms, lib, arena)
    finally:
        arena.close()


def _in_libcrypto(terms: list[tuple[int, Point]]) -> Point:
    """The sum by libcrypto's `EC_POINTs_mul` (identity points left out: they have no encoding)."""
    terms = [(k, p) for k, p in terms if not p.is_identity()]
    out = libcrypto.multiply_public([p.to_uncompressed() for _, p in terms], [k for k, _ in terms])
    return Point.identity() if out is None else Point.from_uncompressed(out, "libcrypto sum")


_GROUP_MIN = 1 << 16
"""Terms of one |k| are summed first from this |k| on: below it their few digits cost less than
the copy, negation and addition that summing takes."""


def _signed_terms(terms: list[tuple[int, Point]], lib: Any,
                  arena: _Arena) -> list[tuple[int, Any, Any]]:
    """(|k|, raw P, raw −P), with P negated when k > q/2 (k becomes q − k), longest first. Terms of
    one long |k| are summed first (k·P − k·Q as k·(P − Q): Lagrange numerators ±binom(t, i) come
    in such pairs), so each such |k| is multiplied once."""
    half_q = Q >> 1
    magnitudes = [Q - k if k > half_q else k for k, _ in terms]
    long = [m for m in magnitudes if m >= _GROUP_MIN]
    singles = list(zip(terms, magnitudes, strict=True))
    out: list[tuple[int, Any, Any]] = []
    if len(set(long)) < len(long):
        singles, out = _grouped_terms(singles, lib, arena)
    raws = [p._p._point.get() for (_, p), _ in singles]
    out += [(m, negated, raw) if k > half_q else (m, raw, negated)
            for ((k, _), m), raw, negated in zip(singles, raws, arena.negations(raws, lib.neg), strict=True)]
    out.sort(key=itemgetter(0), reverse=True)
    return out


def _grouped_terms(terms: list[tuple[tuple[int, Point], int]], lib: Any, arena: _Arena
                   ) -> tuple[list[tuple[tuple[int, Point], int]], list[tuple[int, Any, Any]]]:
    """The terms left alone, and one (|k|, raw, raw negated) per long |k| held by several terms:
    their sum, signs applied."""
    half_q = Q >> 1
    groups: dict[int, list[tuple[tuple[int, Point], int]]] = {}
    for term, m in terms:
        groups.setdefault(m, []).append((term, m))
    singles, out, clone, neg, add, err = [], [], arena.clone, lib.neg, lib.add, 0
    for m, members in groups.items():
        if len(members) == 1 or m < _GROUP_MIN:
            singles += members
            continue
        members.sort(key=lambda e: e[0][0] > half_q)  # a positive term first, if there is one
        (k, p), _ = members[0]
        total = clone(p._p._point.get())
        err |= neg(total) if k > half_q else 0
        for (k, p), _ in members[1:]:
            other = p._p._point.get()
            if k > half_q:
                other = clone(other)
                err |= neg(other)
            err |= add(total, other)
        negated = clone(total)
        err |= neg(negated)
        out.append((m, total, negated))
    if err:
        raise ValueError("point operation failed")
    return singles, out


def _multiply(terms: list[tuple[int, Point]], lib: Any, arena: _Arena) -> Point:
    """Horner over windows, top first: acc = 2^c·acc + Σ_d d·B_d (the running-sum trick: the
    window's calls are `running += P` for each P of bucket d, then `acc += running`, d = top..1)."""
    entries = _signed_terms(terms, lib, arena)
    c = window_for([k.bit_length() for k, _, _ in entries])
    half, mask = 1 << (c - 1), (1 << c) - 1
    windows = entries[0][0].bit_length() // c + 2
    offset = _offset(c, windows)
    shifted = [(k + offset, raw, neg) for k, raw, neg in entries]
    reach = [k.bit_length() // c + 2 for k, _, _ in entries]  # windows holding a non-zero digit
    add, double, err = lib.add, lib.double, 0
    result = EccPoint(0, 0, "p256")
    acc = result._point.get()
    started = False
    identity = _ZERO._point.get()
    active = 0  # entries[:active] reach window w (longest first, so the prefix grows)
    for w in range(windows - 1, -1, -1):
        while active < len(entries) and reach[active] > w:
            active += 1
        if started:
            for _ in range(c):
                err |= double(acc)
        shift = c * w
        running = arena.clone(identity)
        buckets: list[list[Any]] = [[] for _ in range(half + 1)]
        for k, raw, neg in shifted[:active]:
            u = (k >> shift) & mask
            if u > half:
                buckets[u - half].append((running, raw))
            elif u < half:
                buckets[half - u].append((running, neg))
        top = half
        while top and not buckets[top]:
            top -= 1
        if not top:
            continue
        marker = [(acc, running)]
        calls = [x for d in range(top, 0, -1) for x in (buckets[d], marker)]
        err |= sum(starmap(add, chain.from_iterable(calls)))  # every addition of the window, in C
        started = True
    if err:
        raise ValueError("point operation failed")
    return Point(result)


def msm_columns(scalars: Sequence[int], rows: Sequence[Sequence[Point]]) -> list[Point]:
    """[Σ_i scalars[i]·rows[i][k] for every column k] (scalars taken mod q, negative ones allowed:
    −m becomes q − m, which `msm` takes as m on the negated point). Public scalars only."""
    if len(scalars) != len(rows):
        raise ValueError("as many scalars as rows")
    width = len(rows[0]) if rows else 0
    if any(len(row) != width for row in rows):
        raise ValueError("rows of one length")
    reduced = [k % Q for k in scalars]
    return [msm(reduced, [row[k] for row in rows]) for k in range(width)]
