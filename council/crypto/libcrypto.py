"""P-256 point multiplication in OpenSSL's libcrypto 3, through cffi's ABI mode (no compiler).

pycryptodome does one point operation per call from Python, at about 1.9 µs a call: a
multi-scalar multiplication of 172 terms (a batch check of 43 decryption shares) takes 17 ms that
way and 4 ms in libcrypto, and a constant-time k·P 415 µs against 99 µs. libcrypto's P-256 code
(`ecp_nistz256`, assembly on x86-64, the code behind its ECDH) multiplies by secret scalars in
constant time; `multiply_secret` flags the scalar BN_FLG_CONSTTIME and wipes it after. This module
speaks SEC1 uncompressed bytes only, so `group` can build on it; libcrypto decodes every point and
checks it on the curve again. `AVAILABLE` is False where libcrypto 3 is missing, and the callers
keep pycryptodome's arithmetic (decisions.md #116).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

_CDEF: Final = """
typedef struct ec_group_st EC_GROUP;
typedef struct ec_point_st EC_POINT;
typedef struct bignum_st BIGNUM;
typedef struct bignum_ctx BN_CTX;
unsigned long OpenSSL_version_num(void);
const char *OpenSSL_version(int type);
EC_GROUP *EC_GROUP_new_by_curve_name(int nid);
EC_POINT *EC_POINT_new(const EC_GROUP *group);
void EC_POINT_free(EC_POINT *point);
int EC_POINT_oct2point(const EC_GROUP *group, EC_POINT *p, const unsigned char *buf, size_t len,
                       BN_CTX *ctx);
size_t EC_POINT_point2oct(const EC_GROUP *group, const EC_POINT *p, int form, unsigned char *buf,
                          size_t len, BN_CTX *ctx);
int EC_POINT_is_at_infinity(const EC_GROUP *group, const EC_POINT *p);
int EC_POINT_mul(const EC_GROUP *group, EC_POINT *r, const BIGNUM *n, const EC_POINT *q,
                 const BIGNUM *m, BN_CTX *ctx);
int EC_POINTs_mul(const EC_GROUP *group, EC_POINT *r, const BIGNUM *n, size_t num,
                  const EC_POINT *p[], const BIGNUM *m[], BN_CTX *ctx);
BIGNUM *BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret);
void BN_set_flags(BIGNUM *b, int n);
void BN_free(BIGNUM *a);
void BN_clear_free(BIGNUM *a);
BN_CTX *BN_CTX_new(void);
void BN_CTX_free(BN_CTX *c);
"""
_NID_P256: Final = 415  # NID_X9_62_prime256v1
_UNCOMPRESSED: Final = 4  # POINT_CONVERSION_UNCOMPRESSED
_COMPRESSED: Final = 2  # POINT_CONVERSION_COMPRESSED
_CONSTTIME: Final = 0x04  # BN_FLG_CONSTTIME
_POINT_LEN: Final = 65
_COMPRESSED_LEN: Final = 33
_SCALAR_LEN: Final = 32
_LIBRARY_NAMES: Final = ("libcrypto.so.3", "libcrypto.3.dylib", "libcrypto-3-x64.dll")
_MIN_VERSION: Final = 0x30000000  # OpenSSL 3.0


class _Binding:
    """The libcrypto functions used here, bound once, and the P-256 group they act on (only
    read after this, so threads share it)."""

    def __init__(self, ffi: Any, lib: Any) -> None:
        self.ffi, self.lib, self.null = ffi, lib, ffi.NULL
        self.group = lib.EC_GROUP_new_by_curve_name(_NID_P256)
        if self.group == ffi.NULL:
            raise OSError("libcrypto has no P-256 group")


def _load() -> _Binding | None:
    """libcrypto 3 if this machine has it, else None."""
    try:
        from cffi import FFI
    except ImportError:
        return None
    ffi = FFI()
    ffi.cdef(_CDEF)
    for name in _LIBRARY_NAMES:
        try:
            lib = ffi.dlopen(name)
            if lib.OpenSSL_version_num() >= _MIN_VERSION:
                return _Binding(ffi, lib)
        except (OSError, AttributeError):
            continue
    return None


_LIB: Final = _load()
AVAILABLE: Final = _LIB is not None


def describe() -> str:
    """Which code does P-256 multiplications in this process, for a member's start-up event:
    `libcrypto (OpenSSL 3.x.y …)`, or `pycryptodome` where libcrypto 3 is missing or switched off."""
    if _LIB is None or not AVAILABLE:
        return "pycryptodome"
    return f"libcrypto ({_LIB.ffi.string(_LIB.lib.OpenSSL_version(0)).decode(errors='replace')})"


class _Call:
    """The libcrypto objects of one multiplication, every one freed on exit (scalars wiped)."""

    def __init__(self, binding: _Binding) -> None:
        self.b = binding
        self.points: list[Any] = []
        self.scalars: list[Any] = []

    def __enter__(self) -> _Call:
        lib = self.b.lib
        self.ctx, self.result = lib.BN_CTX_new(), lib.EC_POINT_new(self.b.group)
        if self.ctx == self.b.null or self.result == self.b.null:
            self.__exit__()
            raise MemoryError("libcrypto could not allocate")
        return self

    def __exit__(self, *_: object) -> None:
        lib, null = self.b.lib, self.b.null
        for raw in self.points:
            lib.EC_POINT_free(raw)
        for bn in self.scalars:
            lib.BN_clear_free(bn)
        if self.result != null:
            lib.EC_POINT_free(self.result)
        if self.ctx != null:
            lib.BN_CTX_free(self.ctx)

    def point(self, uncompressed: bytes) -> Any:
        """Decode one SEC1 uncompressed point (libcrypto refuses one off the curve)."""
        raw = self.b.lib.EC_POINT_new(self.b.group)
        if raw == self.b.null:
            raise MemoryError("libcrypto could not allocate")
        self.points.append(raw)
        if self.b.lib.EC_POINT_oct2point(self.b.group, raw, uncompressed, _POINT_LEN, self.ctx) != 1:
            raise ValueError("libcrypto refused a point")
        return raw

    def scalar(self, big_endian: bytes, secret: bool) -> Any:
        bn = self.b.lib.BN_bin2bn(big_endian, len(big_endian), self.b.null)
        if bn == self.b.null:
            raise MemoryError("libcrypto could not allocate")
        self.scalars.append(bn)
        if secret:
            self.b.lib.BN_set_flags(bn, _CONSTTIME)
        return bn

    def encoded_result(self, compressed: bool = False) -> bytes | None:
        """The result in SEC1 uncompressed (or compressed) form, None for the point at infinity."""
        lib, group = self.b.lib, self.b.group
        if lib.EC_POINT_is_at_infinity(group, self.result):
            return None
        form, size = (_COMPRESSED, _COMPRESSED_LEN) if compressed else (_UNCOMPRESSED, _POINT_LEN)
        out = self.b.ffi.new("unsigned char[]", size)
        if lib.EC_POINT_point2oct(group, self.result, form, out, size, self.ctx) != size:
            raise ValueError("libcrypto could not encode a point")
        return bytes(self.b.ffi.buffer(out))


def _binding() -> _Binding:
    if _LIB is None:
        raise RuntimeError("libcrypto 3 is not available on this machine")
    return _LIB


def multiply_secret(point: bytes | None, scalar: bytes, compressed: bool = False) -> bytes | None:
    """k·P in constant time (k: 32 bytes big-endian, below q; P uncompressed, or None for the
    generator), uncompressed unless `compressed`; None when the product is the point at infinity."""
    b = _binding()
    if len(scalar) != _SCALAR_LEN:
        raise ValueError(f"a scalar is {_SCALAR_LEN} bytes")
    with _Call(b) as call:
        k = call.scalar(scalar, secret=True)
        ok = (b.lib.EC_POINT_mul(b.group, call.result, k, b.null, b.null, call.ctx) if point is None
              else b.lib.EC_POINT_mul(b.group, call.result, b.null, call.point(point), k, call.ctx))
        if ok != 1:
            raise ValueError("libcrypto could not multiply")
        return call.encoded_result(compressed)


def multiply_public(points: Sequence[bytes], scalars: Sequence[int], base: int = 0,
                    compressed: bool = False) -> bytes | None:
    """base·G + Σ k_i·P_i by one `EC_POINTs_mul` (variable time: public scalars, each in [0, q);
    the generator's term from its precomputed table), uncompressed unless `compressed`; None for
    the point at infinity."""
    b = _binding()
    if len(points) != len(scalars):
        raise ValueError("as many scalars as points")
    with _Call(b) as call:
        g = call.scalar(base.to_bytes(_SCALAR_LEN, "big"), secret=False) if base else b.null
        raw_points = b.ffi.new("EC_POINT *[]", [call.point(p) for p in points])
        raw_scalars = b.ffi.new("BIGNUM *[]", [call.scalar(k.to_bytes(_SCALAR_LEN, "big"), secret=False)
                                               for k in scalars])
        if b.lib.EC_POINTs_mul(b.group, call.result, g, len(points), raw_points, raw_scalars,
                               call.ctx) != 1:
            raise ValueError("libcrypto could not multiply")
        return call.encoded_result(compressed)
