"""Reading the untrusted framing of a dump file: prefix, header, header signature, trailer.

Implements opening steps (1)-(3) and (6) of docs/dump-format.md. Nothing returned here is
authenticated yet (names say `unverified`); `dumps.verify` checks the signatures. Files are read
with seeks and bounded reads only, never whole.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from council.errors import StorageError
from dumps.errors import DumpTruncated, HeaderInvalid, NotADump, TrailingData
from dumps.format import (
    HEADER_LENGTH_LEN,
    MAX_HEADER_LEN,
    PREFIX_LEN,
    SIGNATURE_LEN,
    TAG_LEN,
    check_prefix,
)
from dumps.header import DumpHeader
from dumps.header_codec import decode_header
from dumps.trailers import AnyTrailer, parse_trailer, trailer_length, trailer_marker

SEARCH_BLOCK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UnverifiedHeader:
    """The parsed header, its exact bytes and signature, and where the chunk area starts."""

    header: DumpHeader
    header_bytes: bytes
    header_sha256: bytes
    signature: bytes
    body_start: int
    version: int = 1

    @property
    def trailer_len(self) -> int:
        """Bytes of this dump's trailer (it depends on the format version)."""
        return trailer_length(self.version)


def read_exact(f: BinaryIO, n: int, what: str) -> bytes:
    """Read exactly n bytes or raise DumpTruncated naming `what`."""
    data = f.read(n)
    if len(data) != n:
        raise DumpTruncated(f"file ends inside the {what} ({len(data)} of {n} bytes)")
    return data


def read_unverified_header(f: BinaryIO) -> UnverifiedHeader:
    """Steps (1)-(3): prefix, header length, canonical header, header signature bytes."""
    version = check_prefix(f.read(PREFIX_LEN))                               # (1)
    length = int.from_bytes(read_exact(f, HEADER_LENGTH_LEN, "header length"), "big")
    if not 0 < length <= MAX_HEADER_LEN:                                      # (2)
        raise HeaderInvalid(f"header length {length} outside 1..{MAX_HEADER_LEN}")
    header_bytes = read_exact(f, length, "header")
    header = decode_header(header_bytes)                                      # (3)
    if header.format_version != version:
        raise HeaderInvalid(f"header field format_version: {header.format_version} does not match "
                            f"the prefix's version byte {version}")
    signature = read_exact(f, SIGNATURE_LEN, "header signature")
    return UnverifiedHeader(header, header_bytes, hashlib.sha256(header_bytes).digest(), signature,
                            PREFIX_LEN + HEADER_LENGTH_LEN + length + SIGNATURE_LEN, version)


def file_size(f: BinaryIO) -> int:
    """Size of an open, seekable file or store object (`size` of a ranged S3 reader)."""
    size = getattr(f, "size", None)
    if isinstance(size, int):
        return size
    return os.fstat(f.fileno()).st_size


def read_unverified_trailer(f: BinaryIO, size: int, head: UnverifiedHeader) -> AnyTrailer:
    """Step (6): the trailer is the last 175 (v1) or 143 (v2) bytes; when it is not there, say
    why: truncated, damaged marker, or bytes after the trailer."""
    trailer_len, marker = head.trailer_len, trailer_marker(head.version)
    area_and_trailer = size - head.body_start
    if area_and_trailer < TAG_LEN + trailer_len:
        raise _truncated(area_and_trailer, head)
    f.seek(size - trailer_len)
    tail = read_exact(f, trailer_len, "trailer")
    marker_len = len(marker)
    in_place = tail[marker_len:marker_len + 32] == head.header_sha256
    if tail[:marker_len] == marker or in_place:
        return parse_trailer(head.version, tail)
    found = _find_last(f, marker + head.header_sha256, head.body_start, size)
    if found is not None and found + trailer_len < size:
        raise TrailingData(f"{size - found - trailer_len} bytes follow the trailer "
                           f"(trailer at offset {found}, file size {size})")
    raise _truncated(area_and_trailer, head)


def _truncated(area_and_trailer: int, head: UnverifiedHeader) -> DumpTruncated:
    record = head.header.chunk_size + TAG_LEN
    if area_and_trailer == 0:
        return DumpTruncated("the file ends right after the header: chunks and trailer missing")
    if area_and_trailer % record == 0:
        return DumpTruncated(f"the file ends at a chunk boundary after {area_and_trailer // record}"
                             " chunk(s): the final chunk and the trailer are missing")
    return DumpTruncated("the file does not end with this dump's trailer: truncated")


def _find_last(f: BinaryIO, needle: bytes, start: int, end: int) -> int | None:
    """Offset of the last occurrence of `needle` in [start, end), reading backwards in blocks."""
    pos = end
    while pos > start:
        lo = max(start, pos - SEARCH_BLOCK)
        f.seek(lo)
        block = f.read(min(end, pos + len(needle) - 1) - lo)
        hit = block.rfind(needle)
        if hit >= 0:
            return lo + hit
        pos = lo
    return None



def open_regular(path: Path, buffering: int = -1) -> BinaryIO:
    """Open a dump file for reading, refusing anything but a regular file: a FIFO, a device or a
    socket would block or never end (opened non-blocking, checked, then made blocking again)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise StorageError(f"{path}: cannot open ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotADump(f"{path}: not a regular file ({_kind(mode)}): a dump is read from a file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb", buffering=buffering)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"
