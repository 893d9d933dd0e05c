"""A strict binary codec for protocol messages: fixed-width integers, length-prefixed bytes.

Encoding is canonical (one byte string per value), so signed and hashed bytes are stable. The
reader refuses truncation and trailing bytes, naming the field it was reading.
"""

from __future__ import annotations

from council.crypto.group import SCALAR_LEN, UNCOMPRESSED_LEN, Point, Scalar
from council.errors import DecodeError

MAX_BLOB = 1 << 24


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
        size = len(data)
        for n in range(count):
            if pos + 6 > size:
                self._pos = pos
                self.uint(2, f"{field}[{n}].recipient")
                self.blob(f"{field}[{n}]")
            length = int.from_bytes(data[pos + 2 : pos + 6], "big")
            if length > MAX_BLOB or pos + 6 + length > size:
                self._pos = pos + 2
                self.blob(f"{field}[{n}]")
            out.append((int.from_bytes(data[pos : pos + 2], "big"), data[pos + 6 : pos + 6 + length]))
            pos += 6 + length
        self._pos = pos
        return out

    def text(self, field: str) -> str:
        try:
            return self.blob(field).decode()
        except UnicodeDecodeError:
            raise DecodeError(f"{self._what}.{field}: not UTF-8") from None

    def point(self, field: str) -> Point:
        return Point.from_uncompressed(self._take(UNCOMPRESSED_LEN, field), f"{self._what}.{field}")

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
