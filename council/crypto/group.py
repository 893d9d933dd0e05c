"""The prime-order group: NIST P-256 through pycryptodome's C point arithmetic.

`Scalar` and `Point` are small value types that validate when built, so an object that exists is
valid; `P256` is the one `Group`. Encodings: SEC1 compressed points (33 bytes, infinity refused) and
32-byte big-endian scalars (< q). See docs/protocol.md, "Encodings and hashing".
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from Crypto.Math.Numbers import Integer
from Crypto.PublicKey import ECC
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from council.crypto import libcrypto
from council.errors import DecodeError

RandomSource = Callable[[int], bytes]
"""A function returning n random bytes; `secrets.token_bytes` unless a test replays a seed."""

_CURVE: Any = getattr(ECC, "_curves")["p256"]  # noqa: B009  (untyped in pycryptodome)
EccPoint: Any = getattr(ECC, "EccPoint")  # noqa: B009
P: Final[int] = int(_CURVE.p)
Q: Final[int] = int(_CURVE.order)
_OSSL_CURVE: Final = ec.SECP256R1()
SCALAR_LEN: Final = 32
POINT_LEN: Final = 33
UNCOMPRESSED_LEN: Final = 65
SMALL_SCALAR_BITS: Final = 16
MSM_MIN_TERMS: Final = 32  # below this, separate C multiplications are as fast


class Scalar:
    """An element of Z_q. Immutable; arithmetic is mod q."""

    __slots__ = ("value",)
    value: int

    def __init__(self, value: int) -> None:
        if not 0 <= value < Q:
            raise ValueError("scalar out of range; use Scalar.reduce for arbitrary integers")
        object.__setattr__(self, "value", value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Scalar is immutable")

    @classmethod
    def reduce(cls, value: int) -> Scalar:
        return cls(value % Q)

    @classmethod
    def random(cls, rng: RandomSource | None = None) -> Scalar:
        """A uniform non-zero scalar (64 extra bits make the modular bias negligible)."""
        draw = rng or secrets.token_bytes
        while True:
            v = int.from_bytes(draw(40), "big") % Q
            if v:
                return cls(v)

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "scalar") -> Scalar:
        if len(data) != SCALAR_LEN:
            raise DecodeError(f"{field}: expected {SCALAR_LEN} bytes, got {len(data)}")
        v = int.from_bytes(data, "big")
        if v >= Q:
            raise DecodeError(f"{field}: scalar is not below the group order")
        return cls(v)

    def to_bytes(self) -> bytes:
        return self.value.to_bytes(SCALAR_LEN, "big")

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar((self.value + other.value) % Q)

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar((self.value - other.value) % Q)

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar((self.value * other.value) % Q)

    def __neg__(self) -> Scalar:
        return Scalar((-self.value) % Q)

    def inverse(self) -> Scalar:
        if self.value == 0:
            raise ValueError("zero has no inverse")
        return Scalar(pow(self.value, -1, Q))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scalar) and secrets.compare_digest(self.to_bytes(), other.to_bytes())

    def __hash__(self) -> int:
        return hash(("Scalar", self.value))

    def __repr__(self) -> str:
        return "Scalar(<hidden>)"


class Point:
    """A point of P-256. Decoded points are never infinity; sums may be (is_identity)."""

    __slots__ = ("_enc", "_p", "_unc")
    _p: Any
    _enc: bytes | None
    _unc: bytes | None

    def __init__(self, inner: Any, encoding: bytes | None = None, uncompressed: bytes | None = None) -> None:
        object.__setattr__(self, "_p", inner)
        object.__setattr__(self, "_enc", encoding)  # the compressed encoding, once known
        object.__setattr__(self, "_unc", uncompressed)  # the uncompressed encoding, once known

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    @classmethod
    def identity(cls) -> Point:
        return cls(EccPoint(0, 0, "p256"))

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "point") -> Point:
        """Decode SEC1 compressed; refuses wrong length, bad prefix, x >= p, off-curve, infinity."""
        if len(data) != POINT_LEN:
            raise DecodeError(f"{field}: expected {POINT_LEN} bytes (SEC1 compressed), got {len(data)}")
        prefix = data[0]
        if prefix not in (2, 3):
            raise DecodeError(f"{field}: prefix byte must be 0x02 or 0x03, got 0x{prefix:02x}")
        if int.from_bytes(data[1:], "big") >= P:
            raise DecodeError(f"{field}: x coordinate is not below the field prime")
        try:  # OpenSSL's square root is ~4x faster than Python's pow for decompression
            key = ec.EllipticCurvePublicKey.from_encoded_point(_OSSL_CURVE, bytes(data))
        except ValueError:
            raise DecodeError(f"{field}: x coordinate is not on the P-256 curve") from None
        raw = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return cls(_point_from_xy(raw[1:33], raw[33:]), bytes(data), raw)

    @classmethod
    def from_uncompressed(cls, data: bytes, field: str = "point") -> Point:
        """Decode SEC1 uncompressed (65 bytes): no square root, ~3x faster than compressed.
        Refuses wrong length or prefix, coordinates >= p, (0, 0) (infinity) and off-curve points."""
        if len(data) != UNCOMPRESSED_LEN:
            raise DecodeError(f"{field}: expected {UNCOMPRESSED_LEN} bytes (SEC1 uncompressed), got {len(data)}")
        if data[0] != 4:
            raise DecodeError(f"{field}: prefix byte must be 0x04, got 0x{data[0]:02x}")
        data = bytes(data)
        xb, yb = data[1:33], data[33:]
        if xb >= _P_BYTES or yb >= _P_BYTES:  # equal-length big-endian bytes compare as integers
            raise DecodeError(f"{field}: coordinate is not below the field prime")
        if xb == _ZERO_COORDINATE and yb == _ZERO_COORDINATE:
            raise DecodeError(f"{field}: the point at infinity is not accepted")
        try:
            inner = _point_from_xy(xb, yb)
        except ValueError:
            raise DecodeError(f"{field}: point is not on the P-256 curve") from None
        return cls(inner, _COMPRESSED_PREFIX[yb[-1] & 1] + xb, data)  # compressed for free (challenges hash it)

    def to_uncompressed(self) -> bytes:
        """SEC1 uncompressed; kept from the decode (both decoders have it for free) or cached once
        computed: a ceremony spec's digest encodes every roster encryption key and previous Y_j."""
        if self._unc is not None:
            return self._unc
        if self.is_identity():
            raise ValueError("the point at infinity has no encoding")
        return self._encode()[1]

    def to_bytes(self) -> bytes:
        """SEC1 compressed; cached, since encoding needs a field inversion (~35 µs) and points
        are immutable (proof challenges hash the same points again and again)."""
        if self._enc is not None:
            return self._enc
        if self.is_identity():
            raise ValueError("the point at infinity has no encoding")
        return self._encode()[0]

    def _encode(self) -> tuple[bytes, bytes]:
        """Both SEC1 encodings from one field inversion, cached (hashing wants the compressed
        one, libcrypto's multi-scalar multiplication the uncompressed one)."""
        xb, yb = (bytes(b) for b in self._p._get_xy_bytes())
        enc, unc = bytes([2 | (yb[-1] & 1)]) + xb, b"\x04" + xb + yb
        object.__setattr__(self, "_enc", enc)
        object.__setattr__(self, "_unc", unc)
        return enc, unc

    def is_identity(self) -> bool:
        """Compared in C with one shared point at infinity (not a new one per call: 2 µs, not 22)."""
        return bool(self._p == _INFINITY)

    def __add__(self, other: Point) -> Point:
        return Point(self._p + other._p)

    def __sub__(self, other: Point) -> Point:
        return Point(self._p + (-other._p))

    def __neg__(self) -> Point:
        return Point(-self._p)

    def __mul__(self, k: Scalar) -> Point:
        """Arbitrary-point multiplication by a scalar, constant-time: libcrypto's (99 µs) where
        it is there, else pycryptodome's (415 µs)."""
        if libcrypto.AVAILABLE and not self.is_identity():
            return _from_libcrypto(libcrypto.multiply_secret(self.to_uncompressed(), k.to_bytes()))
        return Point(self._p * k.value)

    def mul_public(self, k: Scalar) -> Point:
        """Multiplication by a PUBLIC scalar (a proof's challenge or response, when verifying):
        libcrypto's, or pycryptodome's variable-time path (about 2x faster than its `*`)."""
        if libcrypto.AVAILABLE and not self.is_identity():
            return _from_libcrypto(libcrypto.multiply_public([self.to_uncompressed()], [k.value]))
        return Point(self._p * Integer(k.value, public=True))

    def mul_small(self, k: int) -> Point:
        """Multiply by a small public integer (a member index): in-place double-and-add in C,
        about 20x faster than a full constant-time multiplication."""
        if not 0 <= k < (1 << SMALL_SCALAR_BITS):
            raise ValueError("mul_small takes a public integer below 2**16")
        if k == 0:
            return Point.identity()
        acc = self._p.copy()
        _mul_small_inplace(acc, self._p, k)
        return Point(acc)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and bool(self._p == other._p)

    def __hash__(self) -> int:
        return hash(("Point", self.to_bytes() if not self.is_identity() else b""))

    def __repr__(self) -> str:
        return "Point(identity)" if self.is_identity() else f"Point({self.to_bytes().hex()[:16]}…)"


def _point_from_xy_public(xb: bytes, yb: bytes) -> Any:
    return EccPoint(int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), "p256")


def _fast_point_factory() -> Callable[[bytes, bytes], Any]:
    """Build EccPoints straight from coordinate bytes (each below p) through pycryptodome's C
    `new_point` (which checks the curve equation), skipping its Python int conversions and, with
    the cffi backend, its pointer wrappers: 3 µs instead of 18 µs. Falls back to the public
    constructor if pycryptodome's internals differ."""
    try:
        from Crypto.PublicKey import _point
        from Crypto.Util import _raw_api
        from Crypto.Util._raw_api import SmartPointer, VoidPointer, c_size_t, c_uint8_ptr

        curve = _point._curves["p256"]
        context, canonical = _point._curve_context(curve), curve.canonical
        new_point, free_point = curve.rawlib.new_point, curve.rawlib.free_point
    except (ImportError, AttributeError, KeyError):
        return _point_from_xy_public

    def make(xb: bytes, yb: bytes) -> Any:
        point = EccPoint.__new__(EccPoint)
        point._curve, point.curve = curve, canonical
        raw = VoidPointer()
        if new_point(raw.address_of(), c_uint8_ptr(xb), c_uint8_ptr(yb), c_size_t(32), context):
            raise ValueError("point is not on the curve")
        point._point = SmartPointer(raw.get(), free_point)
        return point

    if getattr(_raw_api, "backend", "") != "cffi":
        return make
    new_slot, slots = _raw_api.ffi.new, threading.local()

    def make_cffi(xb: bytes, yb: bytes) -> Any:  # bytes go to C as they are; one slot per thread
        point = EccPoint.__new__(EccPoint)
        point._curve, point.curve = curve, canonical
        try:  # the out-pointer is read right after the call (cffi drops the GIL during it)
            slot = slots.slot
        except AttributeError:
            slot = slots.slot = new_slot("void *[1]")
        if new_point(slot, xb, yb, 32, context):
            raise ValueError("point is not on the curve")
        point._point = SmartPointer(slot[0], free_point)
        return point

    return make_cffi


_point_from_xy = _fast_point_factory()


def _from_libcrypto(uncompressed: bytes | None) -> Point:
    """A product from libcrypto as a Point, checked on the curve once more by pycryptodome."""
    if uncompressed is None:
        return Point.identity()
    return Point.from_uncompressed(uncompressed, "libcrypto product")
_INFINITY: Final = EccPoint(0, 0, "p256")
_P_BYTES: Final = P.to_bytes(SCALAR_LEN, "big")
_ZERO_COORDINATE: Final = bytes(SCALAR_LEN)
_COMPRESSED_PREFIX: Final = (b"\x02", b"\x03")


def _mul_small_inplace(acc: Any, base: Any, k: int) -> None:
    """acc = k·base, assuming acc == base on entry (k ≥ 1)."""
    for bit in bin(k)[3:]:
        acc.double()
        if bit == "1":
            acc += base


def horner(coefficients: Sequence[Point], x: int) -> Point:
    """Σ_k x^k·C_k for a small public x, with in-place C operations (Feldman checks, Y_j)."""
    if not 0 < x < (1 << SMALL_SCALAR_BITS):
        raise ValueError("horner takes a public integer in 1..2**16-1")
    acc = coefficients[-1]._p.copy()
    for c in reversed(coefficients[:-1]):
        base = acc.copy()
        _mul_small_inplace(acc, base, x)
        acc += c._p
    return Point(acc)


def point_sum(points: Iterable[Point]) -> Point:
    """Σ points with in-place additions."""
    acc = EccPoint(0, 0, "p256")
    for p in points:
        acc += p._p
    return Point(acc)


def multi_scalar_mul(scalars: Sequence[Scalar], points: Sequence[Point]) -> Point:
    """Σ k_i·P_i for PUBLIC scalars (Lagrange weights, never secrets): Pippenger's bucket method
    over in-place C additions, about 2x cheaper than separate multiplications for 40+ terms.
    Not constant-time: do not pass secret scalars."""
    if len(scalars) != len(points):
        raise ValueError("as many scalars as points")
    if len(points) < MSM_MIN_TERMS:
        return point_sum(p * k for k, p in zip(scalars, points, strict=True))
    window = 4
    mask, acc = (1 << window) - 1, EccPoint(0, 0, "p256")
    for shift in range(((Q.bit_length() + window - 1) // window - 1) * window, -1, -window):
        for _ in range(window):
            acc.double()
        buckets: list[Any] = [None] * (mask + 1)
        for k, p in zip(scalars, points, strict=True):
            digit = (k.value >> shift) & mask
            if digit:
                b = buckets[digit]
                if b is None:
                    buckets[digit] = p._p.copy()
                else:
                    b += p._p
        running, total = EccPoint(0, 0, "p256"), EccPoint(0, 0, "p256")
        for b in reversed(buckets[1:]):
            if b is not None:
                running += b
            total += running
        acc += total
    return Point(acc)


class Group:
    """The interface protocols use: order, generator, fixed-base multiplication, hashing."""

    name: Final = "P-256"
    order: Final = Q

    def __init__(self) -> None:
        self._g = Point(EccPoint(int(_CURVE.Gx), int(_CURVE.Gy), "p256"))

    @property
    def generator(self) -> Point:
        return self._g

    def base_mul(self, k: Scalar) -> Point:
        """k·G in constant time with a precomputed generator table: libcrypto's (41 µs) where it
        is there, else pycryptodome's (89 µs)."""
        if libcrypto.AVAILABLE:
            return _from_libcrypto(libcrypto.multiply_secret(None, k.to_bytes()))
        return Point(self._g._p * k.value)

    def random_scalar(self, rng: RandomSource | None = None) -> Scalar:
        return Scalar.random(rng)


P256: Final = Group()
G: Final = P256.generator
