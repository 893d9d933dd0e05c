"""The log's byte-level field codec: big-endian integers, exact-length and length-prefixed fields.

Every value has one encoding (docs/log-format.md, "Field types"), so `parse` then `serialize` gives
back the same bytes. The reader refuses truncation, trailing bytes, over-long fields and invalid
UTF-8, naming the structure and the field.
"""

from __future__ import annotations

import re
from typing import Final

from council.log.errors import LogDecodeError

KEY_ID_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
NAME_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")


def is_valid_key_id(key_id: str) -> bool:
    """Key ids are 1..64 characters of [A-Za-z0-9._-], never `.` or `..` (as the member keystore)."""
    return KEY_ID_RE.fullmatch(key_id) is not None and key_id not in (".", "..")


class Writer:
    """Accumulates fields in order; a value out of its field's range is a caller bug (ValueError)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def uint(self, value: int, width: int) -> Writer:
        if not 0 <= value < 1 << (8 * width):
            raise ValueError(f"{value} does not fit in {width} bytes")
        self._parts.append(value.to_bytes(width, "big"))
        return self

    def fixed(self, data: bytes, length: int) -> Writer:
        if len(data) != length:
            raise ValueError(f"expected exactly {length} bytes, got {len(data)}")
        self._parts.append(data)
        return self

    def var(self, data: bytes, width: int, limit: int) -> Writer:
        """A length (`width` bytes) followed by the data; at most `limit` bytes."""
        if len(data) > limit:
            raise ValueError(f"field of {len(data)} bytes exceeds {limit}")
        return self.uint(len(data), width).raw(data)

    def text(self, value: str, width: int, limit: int) -> Writer:
        return self.var(value.encode(), width, limit)

    def raw(self, data: bytes) -> Writer:
        self._parts.append(data)
        return self

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads fields from untrusted bytes; every error names the structure and the field."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = bytes(data)
        self._len = len(self._data)
        self._pos = 0
        self.what = what

    @property
    def position(self) -> int:
        return self._pos

    def consumed(self, start: int, end: int) -> bytes:
        """Bytes already read between two positions (e.g. an entry's core, without re-encoding)."""
        if not 0 <= start <= end <= self._pos:
            raise ValueError("only bytes already read can be sliced")
        return self._data[start:end]

    def fail(self, field: str, why: str) -> LogDecodeError:
        return LogDecodeError(f"{self.what}.{field}: {why}")

    def take(self, n: int, field: str) -> bytes:
        start = self._pos
        end = start + n
        if end > self._len:
            raise self.fail(field, f"truncated at byte {start} (needs {n} bytes, {self._len - start} left)")
        self._pos = end
        return self._data[start:end]

    def peek(self, n: int) -> bytes | None:
        """The next `n` bytes without reading them, None if fewer are left (for a fast path whose
        caller then reads them with `take`, or reads field by field, with their errors)."""
        end = self._pos + n
        return self._data[self._pos:end] if end <= self._len else None

    def uint(self, width: int, field: str) -> int:
        return int.from_bytes(self.take(width, field), "big")

    def var(self, width: int, limit: int, field: str) -> bytes:
        n = int.from_bytes(self.take(width, field), "big")
        if n > limit:
            raise self.fail(field, f"length {n} exceeds {limit}")
        return self.take(n, field)

    def text(self, width: int, limit: int, field: str) -> str:
        raw = self.var(width, limit, field)
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise self.fail(field, "not UTF-8") from None

    def end(self) -> None:
        if self._pos != self._len:
            raise LogDecodeError(f"{self.what}: {self._len - self._pos} trailing bytes")
