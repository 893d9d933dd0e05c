"""Publishing a sealed dump file to a store: checked before and while it is uploaded.

Before: the header and trailer signatures, the trailer binding and the chunk-area layout
(opening steps (1)-(10), no key). While: the chunk area's SHA-256 is computed from the very bytes
sent; if it does not match the signed chunks digest, the upload is abandoned and nothing appears in
the store. One read of the file, bounded memory, create-only at the destination.
"""

from __future__ import annotations

import hmac
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from dumps.errors import ContentMismatch, DumpTruncated
from dumps.evidence import EvidenceChecker
from dumps.store import READ_BUFFER, DumpStore, create_from
from dumps.stream import Progress
from dumps.trailers import new_chunk_hash
from dumps.verify import AuthenticDump, authenticate, check_layout


@dataclass(frozen=True, slots=True)
class PublishedDump:
    """A dump now in a store: where, and which dump (its authenticated header and digest)."""

    location: str
    name: str
    dump: AuthenticDump

    @property
    def digest(self) -> bytes:
        return self.dump.digest


def publish_file(store: DumpStore, path: Path, name: str | None = None, *,
                 admit: EvidenceChecker | None = None,
                 progress: Progress | None = None) -> PublishedDump:
    """Check the dump file at `path`, then create `name` (default: the file's name) in `store`."""
    name = name or path.name
    with open(path, "rb", buffering=READ_BUFFER) as f:
        dump = authenticate(f, admit)                                             # (1)-(9)
        check_layout(dump)                                                        # (10)
        f.seek(0)
        checked = cast(BinaryIO, _CheckingReader(f, dump))
        create_from(store, name, checked, dump.file_size, progress)               # (V) on the way
    return PublishedDump(store.describe(name), name, dump)


class _CheckingReader(io.RawIOBase):
    """Passes a dump file through, hashing its chunk area; at the end, the hash and the length
    must be the signed ones, else reading fails (and the upload with it)."""

    def __init__(self, f: BinaryIO, dump: AuthenticDump) -> None:
        super().__init__()
        self._f, self._dump, self._pos = f, dump, 0
        self._area = (dump.body_start, dump.body_start + dump.area_length)
        self._hash = new_chunk_hash(dump.version)  # SHA-256 in format v1, BLAKE3 in v2

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf).cast("B")
        got = self._f.readinto(view)  # type: ignore[attr-defined]
        if not got:
            self._check_end()
            return 0
        lo, hi = max(self._pos, self._area[0]), min(self._pos + got, self._area[1])
        if lo < hi:
            self._hash.update(view[lo - self._pos:hi - self._pos])
        self._pos += got
        return int(got)

    def _check_end(self) -> None:
        if self._pos != self._dump.file_size:
            raise DumpTruncated(f"the file is {self._pos} bytes now, {self._dump.file_size} when it "
                                "was checked: it changed while being published")
        if not hmac.compare_digest(bytes(self._hash.digest()), self._dump.trailer.chunks_digest):
            raise ContentMismatch(f"the chunk area's {self._dump.trailer.hash_name} does not match the "
                                  "signed chunks digest: a chunk was altered, replaced or reordered "
                                  "(not published)")
