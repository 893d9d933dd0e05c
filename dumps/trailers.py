"""One place that dispatches on the dump format version: trailer layout and chunk-area hash.

Every reader path (open, verify, inspect, list, newest, recovery references) goes through here, so
version 1 and version 2 dumps are handled alike. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from dumps.errors import UnsupportedVersion
from dumps.format import FORMAT_V1, FORMAT_V2, TRAILER_LEN, TRAILER_MARKER, Trailer
from dumps.format_v2 import TRAILER_LEN_V2, TRAILER_MARKER_V2, TrailerV2, chunk_hasher

AnyTrailer = Trailer | TrailerV2
MAX_TRAILER_LEN: Final = max(TRAILER_LEN, TRAILER_LEN_V2)


def trailer_length(version: int) -> int:
    """Bytes of the trailer: 175 in version 1, 143 in version 2."""
    return {FORMAT_V1: TRAILER_LEN, FORMAT_V2: TRAILER_LEN_V2}[_known(version)]


def trailer_marker(version: int) -> bytes:
    """`KCDEND` followed by the version byte."""
    return {FORMAT_V1: TRAILER_MARKER, FORMAT_V2: TRAILER_MARKER_V2}[_known(version)]


def parse_trailer(version: int, data: bytes) -> AnyTrailer:
    """Parse a trailer of this version (signature not checked)."""
    if _known(version) == FORMAT_V1:
        return Trailer.from_bytes(data)
    return TrailerV2.from_bytes(data)


def parse_trailer_bytes(data: bytes) -> AnyTrailer:
    """Parse a trailer whose version is read from its own marker (for logs, before the header
    has been checked; a verified path uses `parse_trailer` with the header's version)."""
    version = data[len(TRAILER_MARKER) - 1] if len(data) >= len(TRAILER_MARKER) else FORMAT_V1
    return parse_trailer(version if version in (FORMAT_V1, FORMAT_V2) else FORMAT_V1, data)


def new_chunk_hash(version: int, threads: int | None = None) -> Any:
    """The hash of the chunk area: SHA-256 in version 1, BLAKE3 in version 2 (hashlib-like);
    `threads` caps BLAKE3's own threads (None: the default, both cores)."""
    if _known(version) == FORMAT_V1:
        return hashlib.sha256()
    return chunk_hasher() if threads is None else chunk_hasher(threads)


def hashes_plaintext(version: int) -> bool:
    """Version 1 also signs SHA-256(plaintext); version 2 does not (docs/dump-format.md)."""
    return _known(version) == FORMAT_V1


def _known(version: int) -> int:
    if version not in (FORMAT_V1, FORMAT_V2):
        raise UnsupportedVersion(f"dump format version {version} is not supported")
    return version
