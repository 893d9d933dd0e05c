"""BN254 (alt_bn128): typed value wrappers and EVM encodings over raw-integer arithmetic (G1 in
`g1raw`, G2's comb, sums and subgroup check in `g2raw`, the Miller loop in `pairing_raw`) and
py_ecc's `optimized_bn128` for the rest.

`Fr` is the scalar field (order r); `G1` and `G2` are points, validated when decoded. Encodings are
those of the EVM precompiles (EIP-196/197): G1 as `x ‖ y`, G2 as `x_im ‖ x_re ‖ y_im ‖ y_re`, each a
32-byte big-endian word below p; scalars are 32 bytes big-endian below r. Infinity is refused.
All of it is pure Python and not constant-time (docs/protocol.md, "The council signing key (BN254)").
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Final, Self, TypeVar

from council.crypto.bn254 import g1raw, g2raw, pairing_raw
from council.crypto.group import RandomSource
from council.errors import DecodeError


class _PyEcc:
    """A py_ecc module or class, imported on first use and then bound in this module's globals in
    place of this stand-in: importing py_ecc costs about 0.1 s of CPU (its pairing module checks
    its generators at import), and every process that imports the ceremony code imports this
    module, while only G2 arithmetic, decoding and the pairing need py_ecc (decision 114). The
    import lock makes concurrent first uses safe; a stand-in kept elsewhere keeps forwarding."""

    __slots__ = ("_name", "_module", "_attribute")

    def __init__(self, name: str, module: str, attribute: str | None = None) -> None:
        self._name, self._module, self._attribute = name, module, attribute

    def _load(self) -> Any:
        target: Any = importlib.import_module(self._module)
        if self._attribute is not None:
            target = getattr(target, self._attribute)
        globals()[self._name] = target
        return target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)

    def __call__(self, *args: Any) -> Any:
        return self._load()(*args)


class _CurveConstant:
    """A class attribute read from py_ecc's `optimized_curve` on access (G2's identity and generator)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return getattr(_c, self._name)


_FQ: Any = _PyEcc("_FQ", "py_ecc.fields", "optimized_bn128_FQ")
_FQ2: Any = _PyEcc("_FQ2", "py_ecc.fields", "optimized_bn128_FQ2")
_FQ12: Any = _PyEcc("_FQ12", "py_ecc.fields", "optimized_bn128_FQ12")
_c: Any = _PyEcc("_c", "py_ecc.optimized_bn128.optimized_curve")
_pair: Any = _PyEcc("_pair", "py_ecc.optimized_bn128.optimized_pairing")

P: Final[int] = g1raw.P  # py_ecc's field_modulus and curve_order (a test checks)
R: Final[int] = g1raw.R
U: Final = 4965661367192848881  # the BN parameter: p = 36u⁴ + 36u³ + 24u² + 6u + 1
WORD: Final = 32
SCALAR_LEN: Final = 32
G1_LEN: Final = 64
G2_LEN: Final = 128
SMALL_BITS: Final = 16
_WINDOW: Final = 4


class Fr:
    """An element of the scalar field Z_r. Immutable; arithmetic is mod r."""

    __slots__ = ("value",)
    value: int

    def __init__(self, value: int) -> None:
        if not 0 <= value < R:
            raise ValueError("scalar out of range; use Fr.reduce for arbitrary integers")
        object.__setattr__(self, "value", value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Fr is immutable")

    @classmethod
    def reduce(cls, value: int) -> Fr:
        return cls(value % R)

    @classmethod
    def random(cls, rng: RandomSource | None = None) -> Fr:
        """A uniform non-zero scalar (64 extra bits make the modular bias negligible)."""
        draw = rng or secrets.token_bytes
        while True:
            v = int.from_bytes(draw(40), "big") % R
            if v:
                return cls(v)

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "scalar") -> Fr:
        if len(data) != SCALAR_LEN:
            raise DecodeError(f"{field}: expected {SCALAR_LEN} bytes, got {len(data)}")
        v = int.from_bytes(data, "big")
        if v >= R:
            raise DecodeError(f"{field}: scalar is not below the BN254 group order r")
        return cls(v)

    def to_bytes(self) -> bytes:
        return self.value.to_bytes(SCALAR_LEN, "big")

    def __add__(self, other: Fr) -> Fr:
        return Fr((self.value + other.value) % R)

    def __sub__(self, other: Fr) -> Fr:
        return Fr((self.value - other.value) % R)

    def __mul__(self, other: Fr) -> Fr:
        return Fr((self.value * other.value) % R)

    def __neg__(self) -> Fr:
        return Fr((-self.value) % R)

    def inverse(self) -> Fr:
        if self.value == 0:
            raise ValueError("zero has no inverse")
        return Fr(pow(self.value, -1, R))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fr) and secrets.compare_digest(self.to_bytes(), other.to_bytes())

    def __hash__(self) -> int:
        return hash(("Fr", self.value))

    def __repr__(self) -> str:
        return "Fr(<hidden>)"


class _Point:
    """Shared arithmetic of G1 and G2 over py_ecc's projective triples (x/z, y/z)."""

    __slots__ = ("_p",)
    _p: Any
    _ZERO: ClassVar[Any]
    _GEN: ClassVar[Any]

    def __init__(self, raw: Any) -> None:
        object.__setattr__(self, "_p", raw)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("points are immutable")

    @classmethod
    def identity(cls) -> Self:
        return cls(cls._ZERO)

    @classmethod
    def generator(cls) -> Self:
        return cls(cls._GEN)

    @classmethod
    def base_mul(cls, k: Fr) -> Self:
        """k·generator with a precomputed 4-bit comb: at most 64 additions, no doublings."""
        table = _base_table(cls)
        acc = cls._ZERO
        v, w = k.value, 0
        while v:
            digit = v & 15
            if digit:
                acc = _c.add(acc, table[w][digit])
            v >>= _WINDOW
            w += 1
        return cls(acc)

    def is_identity(self) -> bool:
        return bool(_c.is_inf(self._p))

    def __add__(self, other: Self) -> Self:
        return type(self)(_c.add(self._p, other._p))

    def __sub__(self, other: Self) -> Self:
        return type(self)(_c.add(self._p, _c.neg(other._p)))

    def __neg__(self) -> Self:
        return type(self)(_c.neg(self._p))

    def __mul__(self, k: Fr) -> Self:
        """Arbitrary-point multiplication (4-bit fixed window). Not constant-time."""
        return type(self)(_window_mul(self._p, k.value, self._ZERO))

    def mul_int(self, k: int) -> Self:
        """Multiply by a non-negative public integer (cofactor and subgroup checks)."""
        if k < 0:
            raise ValueError("mul_int takes a non-negative integer")
        return type(self)(_window_mul(self._p, k, self._ZERO))

    def mul_small(self, k: int) -> Self:
        """Multiply by a small public integer (a member index) by double-and-add."""
        if not 0 <= k < (1 << SMALL_BITS):
            raise ValueError("mul_small takes a public integer below 2**16")
        return type(self)(_small_mul(self._p, k, self._ZERO))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        assert isinstance(other, _Point)
        a_inf, b_inf = self.is_identity(), other.is_identity()
        if a_inf or b_inf:
            return a_inf and b_inf
        return bool(_c.eq(self._p, other._p))

    def __hash__(self) -> int:
        return hash((type(self).__name__, b"" if self.is_identity() else self.to_bytes()))

    def to_bytes(self) -> bytes:
        raise NotImplementedError

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(identity)" if self.is_identity() else f"{name}({self.to_bytes().hex()[:16]}…)"


class G1(_Point):
    """A point of BN254's G1 (y² = x³ + 3 over F_p; cofactor 1, so on-curve means in G1), held as
    raw Jacobian integers (`g1raw`); py_ecc's form is made only for the pairing."""

    __slots__ = ()
    _ZERO = g1raw.INF
    _GEN = g1raw.GEN

    @classmethod
    def base_mul(cls, k: Fr) -> G1:
        """k·generator with a precomputed comb of signed 6-bit digits: at most 43 mixed additions."""
        return cls(g1raw.base_mul(k.value))

    def is_identity(self) -> bool:
        return bool(self._p[2] == 0)

    def __add__(self, other: G1) -> G1:
        return G1(g1raw.add(self._p, other._p))

    def __sub__(self, other: G1) -> G1:
        return G1(g1raw.add(self._p, g1raw.neg(other._p)))

    def __neg__(self) -> G1:
        return G1(g1raw.neg(self._p))

    def __mul__(self, k: Fr) -> G1:
        """Arbitrary-point multiplication (4-bit fixed window). Not constant-time."""
        return G1(g1raw.mul_window(self._p, k.value))

    def mul_int(self, k: int) -> G1:
        """Multiply by a non-negative public integer (variable-time wNAF)."""
        if k < 0:
            raise ValueError("mul_int takes a non-negative integer")
        return G1(g1raw.mul_public(self._p, k))

    def mul_small(self, k: int) -> G1:
        """Multiply by a small public integer (a member index) by double-and-add."""
        if not 0 <= k < (1 << SMALL_BITS):
            raise ValueError("mul_small takes a public integer below 2**16")
        return G1(g1raw.small_mul(self._p, k))

    def __eq__(self, other: object) -> bool:
        return type(other) is G1 and g1raw.eq(self._p, other._p)

    def __hash__(self) -> int:
        return hash(("G1", b"" if self.is_identity() else self.to_bytes()))

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "G1 point") -> G1:
        """Decode `x ‖ y` (EIP-196); refuses wrong length, coordinates ≥ p, infinity, off-curve."""
        if len(data) != G1_LEN:
            raise DecodeError(f"{field}: expected {G1_LEN} bytes (x ‖ y), got {len(data)}")
        x, y = int.from_bytes(data[:WORD], "big"), int.from_bytes(data[WORD:], "big")
        if x >= P or y >= P:
            raise DecodeError(f"{field}: coordinate is not below the field prime p")
        if x == 0 and y == 0:
            raise DecodeError(f"{field}: the point at infinity is not accepted")
        if not g1raw.on_curve(x, y):
            raise DecodeError(f"{field}: point is not on the BN254 curve")
        return cls((x, y, 1))

    @classmethod
    def from_xy(cls, x: int, y: int) -> G1:
        """A point from affine coordinates that the caller computed on the curve."""
        x, y = x % P, y % P  # as py_ecc's FQ did
        if not g1raw.on_curve(x, y):
            raise ValueError("point is not on the BN254 curve")
        return cls((x, y, 1))

    def xy(self) -> tuple[int, int]:
        xy = g1raw.to_affine(self._p)
        if xy is None:
            raise ValueError("the point at infinity has no affine coordinates")
        return xy

    def to_bytes(self) -> bytes:
        x, y = self.xy()
        return x.to_bytes(WORD, "big") + y.to_bytes(WORD, "big")

    def to_py_ecc(self) -> Any:
        """py_ecc's projective triple of this point (for the pairing and reference tests)."""
        if self.is_identity():
            return _c.Z1
        x, y = self.xy()
        return (_FQ(x), _FQ(y), _FQ.one())


class G2(_Point):
    """A point of BN254's G2, on the twist y² = x³ + 3/(9+i) over F_p², in the order-r subgroup."""

    __slots__ = ()
    _ZERO = _CurveConstant("Z2")
    _GEN = _CurveConstant("G2")

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "G2 point", subgroup_check: bool = True) -> G2:
        """Decode `x_im ‖ x_re ‖ y_im ‖ y_re` (EIP-197); refuses wrong length, words ≥ p, infinity,
        off-twist points and (unless the caller checks a sum instead) points outside the subgroup."""
        if len(data) != G2_LEN:
            raise DecodeError(f"{field}: expected {G2_LEN} bytes (x_im ‖ x_re ‖ y_im ‖ y_re), got {len(data)}")
        w = [int.from_bytes(data[i : i + WORD], "big") for i in range(0, G2_LEN, WORD)]
        if any(v >= P for v in w):
            raise DecodeError(f"{field}: coordinate is not below the field prime p")
        if not any(w):
            raise DecodeError(f"{field}: the point at infinity is not accepted")
        raw = (_FQ2([w[1], w[0]]), _FQ2([w[3], w[2]]), _FQ2.one())
        if not _c.is_on_curve(raw, _c.b2):
            raise DecodeError(f"{field}: point is not on the BN254 twist curve")
        point = cls(raw)
        if subgroup_check and not point.in_subgroup():
            raise DecodeError(f"{field}: point is not in the order-r subgroup G2")
        return point

    @classmethod
    def base_mul(cls, k: Fr) -> G2:
        """k·generator with a precomputed 4-bit comb on raw integers (`g2raw`): at most 64 additions."""
        return cls(_from_jac2(g2raw.base_mul(g2raw.from_py_ecc(_c.G2), k.value)))

    def in_subgroup(self) -> bool:
        """ψ(Q) == [6u²]·Q, which holds exactly on the order-r subgroup of the BN twist
        (El Housni, Guillevic, Piellard 2022): a 126-bit multiplication instead of a 254-bit one
        (raw integers, `g2raw`; the scalar is public)."""
        if self.is_identity():
            return True
        q = g2raw.from_py_ecc(self._p)
        return g2raw.eq(_psi_jac2(q), g2raw.mul_public(q, 6 * U * U))

    def words(self) -> tuple[int, int, int, int]:
        """(x_im, x_re, y_im, y_re), the EIP-197 word order."""
        if self.is_identity():
            raise ValueError("the point at infinity has no affine coordinates")
        x, y = _c.normalize(self._p)
        return int(x.coeffs[1]), int(x.coeffs[0]), int(y.coeffs[1]), int(y.coeffs[0])

    def to_bytes(self) -> bytes:
        return b"".join(v.to_bytes(WORD, "big") for v in self.words())


T = TypeVar("T", bound="_Point")

def _from_jac2(p: g2raw.Jac2) -> Any:
    """A raw Jacobian G2 point as py_ecc's projective triple."""
    x, y, z = g2raw.to_projective(p)
    return (_FQ2(list(x)), _FQ2(list(y)), _FQ2(list(z)))


def _psi_jac2(q: g2raw.Jac2) -> g2raw.Jac2:
    """ψ on Jacobian coordinates: (X̄·ξ^((p−1)/3), Ȳ·ξ^((p−1)/2), Z̄) (conjugation is a field map)."""
    (x0, x1), (y0, y1), (z0, z1) = q
    f2mul = pairing_raw.f2mul
    return (f2mul((x0, -x1 % P), pairing_raw.PSI_X), f2mul((y0, -y1 % P), pairing_raw.PSI_Y), (z0, -z1 % P))


def _small_mul(raw: Any, k: int, zero: Any) -> Any:
    if k == 0:
        return zero
    acc = raw
    for bit in bin(k)[3:]:
        acc = _c.double(acc)
        if bit == "1":
            acc = _c.add(acc, raw)
    return acc


def _window_mul(raw: Any, k: int, zero: Any) -> Any:
    if k == 0 or _c.is_inf(raw):
        return zero
    if k < (1 << 8):
        return _small_mul(raw, k, zero)
    table = [zero, raw]
    for _ in range(14):
        table.append(_c.add(table[-1], raw))
    digits = f"{k:x}"
    acc = table[int(digits[0], 16)]
    for d in digits[1:]:
        for _ in range(_WINDOW):
            acc = _c.double(acc)
        if d != "0":
            acc = _c.add(acc, table[int(d, 16)])
    return acc


_TABLES: dict[str, list[list[Any]]] = {}


def _base_table(cls: type[_Point]) -> list[list[Any]]:
    """table[w][d] = d·16^w·generator for 64 windows (built once per group, on first use)."""
    cached = _TABLES.get(cls.__name__)
    if cached is not None:
        return cached
    table: list[list[Any]] = []
    base = cls._GEN
    for _ in range((R.bit_length() + _WINDOW - 1) // _WINDOW):
        row = [cls._ZERO, base]
        for _ in range(14):
            row.append(_c.add(row[-1], base))
        table.append(row)
        base = _c.add(row[15], base)
    _TABLES[cls.__name__] = table
    return table


def evaluate_at_indices(coefficients: Sequence[G1], indices: Sequence[int]) -> dict[int, G1]:
    """Y_j = Σ_k j^k·C_k for every public index 1 ≤ j < 2^16 (DKG step 4), by finite differences."""
    if not coefficients:
        raise ValueError("no coefficients")
    if any(not 0 < j < (1 << SMALL_BITS) for j in indices):
        raise ValueError("indices must be in 1..2**16-1")
    raw = g1raw.evaluate_at_indices([c._p for c in coefficients], indices)
    return {j: G1(p) for j, p in raw.items()}


def point_sum(points: Iterable[T], kind: type[T]) -> T:
    """Σ points."""
    if kind is G1:
        return kind(g1raw.sum_points([p._p for p in points]))
    if kind is G2:
        acc2 = g2raw.INF2
        for p in points:
            acc2 = g2raw.add(acc2, g2raw.from_py_ecc(p._p))
        return kind(_from_jac2(acc2))
    acc = kind._ZERO
    for p in points:
        acc = _c.add(acc, p._p)
    return kind(acc)


def horner(coefficients: Sequence[T], x: int) -> T:
    """Σ_k x^k·C_k for a small public x (Feldman checks, verification shares)."""
    if not 0 < x < (1 << SMALL_BITS):
        raise ValueError("horner takes a public integer in 1..2**16-1")
    kind = type(coefficients[-1])
    if kind is G1:
        return kind(g1raw.horner([c._p for c in coefficients], x))
    acc = coefficients[-1]._p
    for c in reversed(coefficients[:-1]):
        acc = _c.add(_small_mul(acc, x, kind._ZERO), c._p)
    return kind(acc)


def multi_scalar_mul(scalars: Sequence[Fr], points: Sequence[T]) -> T:
    """Σ k_i·P_i for PUBLIC scalars (Lagrange weights, challenges, never secrets): Pippenger's
    bucket method, window chosen for the number of terms. Not constant-time."""
    if len(scalars) != len(points) or not points:
        raise ValueError("as many scalars as points, at least one")
    kind, zero = type(points[0]), type(points[0])._ZERO
    if kind is G1:
        return kind(g1raw.msm([k.value for k in scalars], [p._p for p in points]))
    if len(points) < 4:
        return kind(_sum_raw((_window_mul(p._p, k.value, zero) for k, p in zip(scalars, points, strict=True)), zero))
    top = max(k.value.bit_length() for k in scalars)
    c = min(range(2, 9), key=lambda w: -(-top // w) * (2 * len(points) + (1 << (w + 1)) + w))
    mask, acc = (1 << c) - 1, zero
    for shift in range(((top + c - 1) // c - 1) * c, -1, -c):
        for _ in range(c):
            acc = _c.double(acc)
        buckets: list[Any] = [None] * (mask + 1)
        for k, p in zip(scalars, points, strict=True):
            digit = (k.value >> shift) & mask
            if digit:
                b = buckets[digit]
                buckets[digit] = p._p if b is None else _c.add(b, p._p)
        running, total = zero, zero
        for b in reversed(buckets[1:]):
            if b is not None:
                running = _c.add(running, b)
            total = _c.add(total, running)
        acc = _c.add(acc, total)
    return kind(acc)


def sum_columns(rows: Sequence[Sequence[G1]]) -> list[G1]:
    """`[Σ_i rows[i][c] for each column c]` in G1, all columns at once (`g1raw.sum_columns`)."""
    if not rows or len({len(r) for r in rows}) != 1:
        raise ValueError("rows of one length, at least one")
    return [G1(p) for p in g1raw.sum_columns([[p._p for p in row] for row in rows])]


def multi_scalar_mul_columns(scalars: Sequence[Fr], rows: Sequence[Sequence[G1]]) -> list[G1]:
    """`[Σ_i k_i·rows[i][c] for each column c]` for PUBLIC scalars in G1 (the re-share's `C_k`):
    every column at once in lockstep, affine, one inversion per step (`g1raw.msm_columns`)."""
    if len(scalars) != len(rows) or not rows or len({len(r) for r in rows}) != 1:
        raise ValueError("one scalar per row, rows of one length, at least one")
    raw = g1raw.msm_columns([k.value for k in scalars], [[p._p for p in row] for row in rows])
    return [G1(p) for p in raw]


def _sum_raw(raws: Iterable[Any], zero: Any) -> Any:
    acc = zero
    for r in raws:
        acc = _c.add(acc, r)
    return acc


def double_mul(a: Fr, p: T, b: Fr, q: T) -> T:
    """a·P + b·Q in one pass of doublings (Straus–Shamir): the cost of one and a half
    multiplications. Not constant-time: for verification, where the scalars are public."""
    kind, zero = type(p), type(p)._ZERO
    if kind is G1 and p._p == g1raw.GEN:  # z·g1 − c·A in a Schnorr check: the comb for z·g1
        return kind(g1raw.add(g1raw.base_mul(a.value), g1raw.mul_public(q._p, b.value)))
    if kind is G1:
        return kind(g1raw.double_mul_public(p._p, a.value, q._p, b.value))
    pq = _c.add(p._p, q._p)
    table = {(0, 1): q._p, (1, 0): p._p, (1, 1): pq}
    acc = zero
    for i in range(max(a.value.bit_length(), b.value.bit_length()) - 1, -1, -1):
        acc = _c.double(acc)
        key = ((a.value >> i) & 1, (b.value >> i) & 1)
        if key != (0, 0):
            acc = _c.add(acc, table[key])
    return kind(acc)


def pairing_check(pairs: Sequence[tuple[G1, G2]]) -> bool:
    """Π e(P_i, Q_i) == 1, as the EIP-197 precompile computes it: one Miller loop per pair (on raw
    integers, `pairing_raw`; py_ecc's own loop only if the raw one meets a degenerate step) and a
    single final exponentiation (ours, below)."""
    f = pairing_raw.ONE12
    for p1, q2 in pairs:
        if p1.is_identity() or q2.is_identity():
            continue
        f = pairing_raw.f12mul(f, _miller(p1, q2))
    return _final_exponentiate_raw(f) == pairing_raw.ONE12


def _miller(p1: G1, q2: G2) -> list[int]:
    """py_ecc's Miller value of (Q, P) without the final exponentiation, as 12 integers."""
    x, y = _c.normalize(q2._p)
    q = ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))
    try:
        return pairing_raw.miller_loop(q, p1.xy())
    except pairing_raw.Exceptional:
        f = _pair.pairing(q2._p, p1.to_py_ecc(), final_exponentiate=False)
        return [int(c) for c in f.coeffs]


_FROB: list[list[list[list[int]]]] = []  # one element once built: the four tables


def _frobenius_tables() -> list[list[list[int]]]:
    """M_k[i] = coefficients of (w^i)^(p^k) for k = 1, 2, 3, 6 (py_ecc's FQ12 is F_p[w]/(w¹² − 18w⁶ + 82),
    and x^(p^k) is F_p-linear), built once on first use from w^p = w·e(ξ^((p−1)/6)) (e embeds F_p²,
    e(a + b·i) = (a − 9b) + b·w⁶, and e(ξ) = w⁶). Threads racing here each build the same
    tables; the list only ever holds the first, so readers never see a half-built or doubled one."""
    if not _FROB:
        g0, g1 = pairing_raw.f2pow((9, 1), (P - 1) // 6)  # w^p = w·(w⁶)^((p−1)/6), w⁶ = e(9 + i)
        w_p = [0, (g0 - 9 * g1) % P, 0, 0, 0, 0, 0, g1, 0, 0, 0, 0]
        m1, acc = [], pairing_raw.ONE12
        for _ in range(12):
            m1.append(acc)
            acc = pairing_raw.f12mul(acc, w_p)
        tables = {1: m1}
        for k in (2, 3, 6):
            prev = tables[k - 1] if k != 6 else tables[3]
            step = m1 if k != 6 else tables[3]
            tables[k] = [_apply(row, step) for row in prev]
        _FROB.append([tables[1], tables[2], tables[3], tables[6]])
    return _FROB[0]


def _apply(coeffs: Sequence[int], table: Sequence[Sequence[int]]) -> list[int]:
    out = [0] * 12
    for i, c in enumerate(coeffs):
        if c:
            row = table[i]
            for k in range(12):
                out[k] += c * row[k]
    return [v % P for v in out]


def final_exponentiate(f: Any) -> Any:
    """f^((p¹² − 1)/r) for py_ecc's FQ12 (`_final_exponentiate_raw` on its coefficients)."""
    return _FQ12(_final_exponentiate_raw([int(c) for c in f.coeffs]))


def _final_exponentiate_raw(f: list[int]) -> list[int]:
    """f^((p¹² − 1)/r) as (p⁶ − 1)(p² + 1)·(p⁴ − p² + 1)/r on raw coefficient lists: Frobenius maps
    for the easy part, and for the hard part the chain of three exponentiations by u of Devegili,
    Scott and Dahab (2007) as go-ethereum's bn256 writes it, with conjugation (x^(p⁶), the inverse
    in the cyclotomic subgroup) for free: the sign of the odd coefficients. Equal to py_ecc's (a
    test checks)."""
    mul, sqr = pairing_raw.f12mul, pairing_raw.f12sqr
    m1, m2, _, _ = _frobenius_tables()
    t1 = mul(_conjugate(f), [int(c) for c in _FQ12(f).inv().coeffs])
    t1 = mul(_apply(t1, m2), t1)
    fp, fp2 = _apply(t1, m1), _apply(t1, m2)
    fp3 = _apply(fp2, m1)
    fu = _pow_u(t1)
    fu2 = _pow_u(fu)
    fu3 = _pow_u(fu2)
    y0 = mul(mul(fp, fp2), fp3)
    y1 = _conjugate(t1)
    y2 = _apply(fu2, m2)
    y3 = _conjugate(_apply(fu, m1))
    y4 = _conjugate(mul(fu, _apply(fu2, m1)))
    y5 = _conjugate(fu2)
    y6 = _conjugate(mul(fu3, _apply(fu3, m1)))
    t0 = mul(mul(sqr(y6), y4), y5)
    t1 = mul(mul(y3, y5), t0)
    t0 = mul(t0, y2)
    t1 = sqr(mul(sqr(t1), t0))
    t0 = mul(t1, y1)
    t1 = mul(t1, y0)
    return mul(sqr(t0), t1)


def _conjugate(f: Sequence[int]) -> list[int]:
    """f^(p⁶): w^(p⁶) = −w in py_ecc's basis, so the odd coefficients change sign."""
    return [c if i % 2 == 0 else -c % P for i, c in enumerate(f)]


def _pow_u(f: Sequence[int]) -> list[int]:
    """f^u for the BN parameter u (square and multiply; u is public)."""
    acc = list(f)
    for bit in bin(U)[3:]:
        acc = pairing_raw.f12sqr(acc)
        if bit == "1":
            acc = pairing_raw.f12mul(acc, f)
    return acc
