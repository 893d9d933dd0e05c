"""A strict binary codec for protocol messages: fixed-width integers, length-prefixed bytes.

Encoding is canonical (one byte string per value), so signed and hashed bytes are stable. The
reader refuses truncation and trailing bytes, naming the field it was reading.
"""

from __future__ import annotations

import struct

from council.crypto.group import SCALAR_LEN, UNCOMPRESSED_LEN, Point, Scalar
from council.errors import DecodeError

MAX_BLOB = 1 << 24
_INDEX_AND_LENGTH = struct.Struct(">HI")


class Writer:
    """Accumulates fields in order."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def uint(self, value: int, width: int) -> Writer:
        self._parts.append(value.to_bytes(width, "big"))
        return self

    def blob(self, data: bytes) -> Writer:
        if len(data) > MAX_BLOB:
            raise ValueError("field too large")
        self._parts.append(len(data).to_bytes(4, "big") + data)
        return self

    def text(self, value: str) -> Writer:
        return self.blob(value.encode())

    def point(self, p: Point) -> Writer:
        """Ceremony messages carry points uncompressed: n·t decodes per member, no square roots."""
        self._parts.append(p.to_uncompressed())
        return self

    def scalar(self, s: Scalar) -> Writer:
        self._parts.append(s.to_bytes())
        return self

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads fields from untrusted bytes; every error names the message and field."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._what = what

    def _take(self, n: int, field: str) -> bytes:
        pos = self._pos
        end = pos + n
        if end > len(self._data):
            raise DecodeError(f"{self._what}.{field}: truncated at byte {pos} "
                              f"(needs {n} bytes, {len(self._data) - pos} left)")
        self._pos = end
        return self._data[pos:end]

    def uint(self, width: int, field: str) -> int:
        return int.from_bytes(self._take(width, field), "big")

    def blob(self, field: str) -> bytes:
        n = self.uint(4, field)
        if n > MAX_BLOB:
            raise DecodeError(f"{self._what}.{field}: length {n} exceeds {MAX_BLOB}")
        return self._take(n, field)

    def indexed_blobs(self, count: int, field: str) -> list[tuple[int, bytes]]:
        """`count` pairs (2-byte index, blob), read in one loop: what `uint(2)` then `blob` give,
        with the same refusals (a dealing holds n of them, n² per member and ceremony)."""
        data, pos, out = self._data, self._pos, []
        size, header = len(data), _INDEX_AND_LENGTH.unpack_from
        for n in range(count):
            if pos + 6 > size:
                self._pos = pos
                self.uint(2, f"{field}[{n}].recipient")
                self.blob(f"{field}[{n}]")
            index, length = header(data, pos)
            start = pos + 6
            pos = start + length
            if length > MAX_BLOB or pos > size:
                self._pos = start - 4
                self.blob(f"{field}[{n}]")
            out.append((index, data[start:pos]))
        self._pos = pos
        return out

    def text(self, field: str) -> str:
        try:
            return self.blob(field).decode()
        except UnicodeDecodeError:
            raise DecodeError(f"{self._what}.{field}: not UTF-8") from None

    def point(self, field: str) -> Point:
        return Point.from_uncompressed(self._take(UNCOMPRESSED_LEN, field), f"{self._what}.{field}")

    def points(self, count: int, field: str) -> tuple[Point, ...]:
        """`count` points, as `point(f"{field}[k]")` for k in 0..count-1 would read them (the
        field names are built only for an error message)."""
        start, end = self._pos, self._pos + count * UNCOMPRESSED_LEN
        if end > len(self._data):
            return tuple(self.point(f"{field}[{k}]") for k in range(count))
        data, decode, out = self._data, Point.from_uncompressed, []
        for pos in range(start, end, UNCOMPRESSED_LEN):
            chunk = data[pos : pos + UNCOMPRESSED_LEN]
            try:
                out.append(decode(chunk, field))
            except DecodeError:
                decode(chunk, f"{self._what}.{field}[{(pos - start) // UNCOMPRESSED_LEN}]")
                raise
        self._pos = end
        return tuple(out)

    def scalar(self, field: str) -> Scalar:
        return Scalar.from_bytes(self._take(SCALAR_LEN, field), f"{self._what}.{field}")

    def tag(self, expected: bytes) -> None:
        got = self._take(len(expected), "type")
        if got != expected:
            raise DecodeError(f"{self._what}: wrong message type {got!r}, expected {expected!r}")

    def at_end(self) -> bool:
        """True once every byte was read (for optional trailing fields)."""
        return self._pos == len(self._data)

    def end(self) -> None:
        if self._pos != len(self._data):
            raise DecodeError(f"{self._what}: {len(self._data) - self._pos} trailing bytes")
