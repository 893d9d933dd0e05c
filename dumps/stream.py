"""STREAM chunked AES-256-GCM (docs/dump-format.md, "Chunks"), for format versions 1 and 2.

Chunk i (counting from 0) is AES-256-GCM(data key, nonce = i as 11 bytes big-endian ‖ last-flag
byte, aad = SHA-256(header bytes)). Every chunk but the last holds exactly `chunk_size` plaintext
bytes; the last holds 1..chunk_size (0 only when the whole plaintext is empty). The chunk area is
hashed once (SHA-256 in v1, BLAKE3 in v2); v1 also hashes the plaintext. Memory stays at a few
chunk buffers whatever the stream length (six to seal, three to open); bytes stay in C (readinto, encrypt_into, memoryview).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dumps.errors import ChunkAuthenticationFailed, ChunkOutOfOrder, DumpTruncated
from dumps.format import DEFAULT_FORMAT_VERSION, TAG_LEN
from dumps.seal_pipeline import SEAL_SLOTS, SealPipeline
from dumps.trailers import hashes_plaintext, new_chunk_hash

COUNTER_LEN: Final = 11
MAX_COUNTER: Final = 2 ** (8 * COUNTER_LEN) - 1
DIAGNOSIS_WINDOW: Final = 8
THREAD_MIN_CHUNK: Final = 64 * 1024
Progress = Callable[[int], None]
"""Called with the number of bytes just processed (for progress bars)."""


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """What the trailer records about a stream of chunks (`plaintext_sha256` only in version 1)."""

    chunks_digest: bytes
    plaintext_length: int
    plaintext_sha256: bytes | None
    chunk_count: int

    @property
    def chunks_sha256(self) -> bytes:
        """Version 1 name of `chunks_digest`."""
        return self.chunks_digest


def nonce(counter: int, last: bool) -> bytes:
    """The 12-byte nonce of chunk `counter`: 11-byte big-endian counter ‖ 0x01 if last else 0x00."""
    if not 0 <= counter <= MAX_COUNTER:
        raise ValueError("chunk counter out of range")
    return counter.to_bytes(COUNTER_LEN, "big") + (b"\x01" if last else b"\x00")


def read_full(source: BinaryIO, buf: memoryview) -> int:
    """Fill `buf` from `source` (pipes may return short reads); return the bytes read (< len at EOF)."""
    filled = 0
    while filled < len(buf):
        got = source.readinto(buf[filled:])  # type: ignore[attr-defined]
        if not got:
            break
        filled += got
    return filled


def encrypt_stream(source: BinaryIO, sink: BinaryIO, key: bytes, aad: bytes, chunk_size: int,
                   progress: Progress | None = None, version: int = DEFAULT_FORMAT_VERSION) -> StreamSummary:
    """Sealing steps (7)-(8): encrypt `source` to `sink` chunk by chunk; one chunk of look-ahead
    tells which chunk is the last. This thread reads and encrypts (and in version 1 hashes the
    plaintext); this thread and a worker share the hashing and the writes of the records, each
    kept in record order, as their loads allow (`dumps.seal_pipeline`)."""
    aead = AESGCM(key)
    bufs = (memoryview(bytearray(chunk_size)), memoryview(bytearray(chunk_size)))
    p_hash = hashlib.sha256() if hashes_plaintext(version) else None
    threaded = chunk_size >= THREAD_MIN_CHUNK and (os.cpu_count() or 1) > 1
    c_hash = new_chunk_hash(version, threads=1 if threaded else None)
    counter, total, cur = 0, 0, 0
    size = read_full(source, bufs[0])
    with SealPipeline(sink, c_hash, chunk_size, SEAL_SLOTS if threaded else 1) as records:
        while True:
            next_size = read_full(source, bufs[1 - cur]) if size == chunk_size else 0
            data = bufs[cur][:size]
            record = records.slot(size + TAG_LEN)  # its previous record is hashed and written
            aead.encrypt_into(nonce(counter, next_size == 0), data, aad, record)
            if p_hash is not None:
                p_hash.update(data)
            records.push(record)
            total += size
            counter += 1
            if progress:
                progress(size)
            if next_size == 0:
                records.drain()
                return StreamSummary(c_hash.digest(), total, p_hash.digest() if p_hash else None, counter)
            cur, size = 1 - cur, next_size


class _Pending:
    """A task running on the background thread (or already done, for small chunks: then its
    failure, if any, is raised by `wait`, as a thread's would be)."""

    def __init__(self, future: Future[object] | None, error: Exception | None = None) -> None:
        self._future, self._error = future, error

    def wait(self) -> None:
        if self._error is not None:
            raise self._error
        if self._future is not None:
            self._future.result()


class _Background:
    """One worker thread for the chunk-area hash (hashlib and blake3 release the GIL on large
    buffers, and so does AES-GCM), so that hashing overlaps AES-GCM and I/O on a second core;
    BLAKE3 then runs single-threaded (measured: faster than its own two threads beside AES-GCM,
    decisions.md). Small chunks run inline, where a thread hand-off costs more than it saves."""

    def __init__(self, chunk_size: int) -> None:
        self.threaded = chunk_size >= THREAD_MIN_CHUNK and (os.cpu_count() or 1) > 1
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dump-hash") if self.threaded else None
        self._last: Future[object] | None = None

    def idle(self) -> bool:
        """True when a worker thread exists and has finished everything it was given."""
        return self._pool is not None and (self._last is None or self._last.done())

    def run(self, fn: Callable[[memoryview], object], data: memoryview) -> _Pending:
        if self._pool is None:
            try:
                fn(data)
            except Exception as exc:
                return _Pending(None, exc)
            return _Pending(None)
        self._last = self._pool.submit(fn, data)
        return _Pending(self._last)

    def close(self) -> None:
        """Wait for every queued task: no buffer is touched once the caller returns or raises."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> _Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chunk_layout(area_length: int, chunk_size: int) -> tuple[int, int]:
    """(number of chunks, length of the last chunk record) for a chunk area of this many bytes."""
    record = chunk_size + TAG_LEN
    if area_length < TAG_LEN:
        raise DumpTruncated(
            f"the chunk area is {area_length} bytes, less than one {TAG_LEN}-byte tag: chunks missing")
    count = max(1, -(-area_length // record))
    last = area_length - (count - 1) * record
    if last < TAG_LEN:
        raise DumpTruncated(f"chunk {count - 1} is {last} bytes, shorter than its {TAG_LEN}-byte tag")
    return count, last


def decrypt_stream(source: BinaryIO, sink: BinaryIO, key: bytes, aad: bytes, chunk_size: int,
                   area_length: int, progress: Progress | None = None,
                   version: int = DEFAULT_FORMAT_VERSION) -> StreamSummary:
    """Opening step (12): decrypt `area_length` bytes of chunks from `source` into `sink`; a chunk
    that fails is diagnosed (altered, or dropped / repeated / reordered). A second thread reads
    record i+1 and hashes record i while this one decrypts and writes record i (two input buffers;
    the worker's queue keeps reads and hashes in order, and failures surface in chunk order)."""
    aead = AESGCM(key)
    count, last_len = chunk_layout(area_length, chunk_size)
    inbufs = (memoryview(bytearray(chunk_size + TAG_LEN)), memoryview(bytearray(chunk_size + TAG_LEN)))
    outbuf = memoryview(bytearray(chunk_size))
    p_hash = hashlib.sha256() if hashes_plaintext(version) else None
    background = _Background(chunk_size)
    c_hash = new_chunk_hash(version, threads=1 if background.threaded else None)

    def record_of(i: int) -> memoryview:
        return inbufs[i & 1][: last_len if i == count - 1 else chunk_size + TAG_LEN]

    def fetch(i: int) -> _Pending:
        def read(record: memoryview) -> None:
            if read_full(source, record) != len(record):
                raise DumpTruncated(f"file ends inside chunk {i} (it changed while being read?)")
        return background.run(read, record_of(i))

    total = 0
    with background:
        reads = [fetch(0), _Pending(None)]
        hashing = background.run(c_hash.update, record_of(0))
        if count > 1:
            reads[1] = fetch(1)
        for i in range(count):
            is_last = i == count - 1
            record = record_of(i)
            reads[i & 1].wait()                  # record i is read (leaving on error: see __exit__)
            plain = outbuf[: len(record) - TAG_LEN]
            try:
                aead.decrypt_into(nonce(i, is_last), record, aad, plain)
            except InvalidTag:
                hashing.wait()
                raise _diagnose(aead, aad, record, i, is_last) from None
            if i + 1 < count:
                hashing = background.run(c_hash.update, record_of(i + 1))
            if i + 2 < count:                    # queued after hash(i): the buffer is free then
                reads[i & 1] = fetch(i + 2)
            if p_hash is not None:
                p_hash.update(plain)
            sink.write(plain)
            total += len(plain)
            if progress:
                progress(len(record))
        hashing.wait()
    return StreamSummary(c_hash.digest(), total, p_hash.digest() if p_hash else None, count)


def _diagnose(aead: AESGCM, aad: bytes, record: memoryview, position: int,
              expected_last: bool) -> Exception:
    """Find which chunk this is, if any nearby counter authenticates it (failure path only)."""
    lo, hi = max(0, position - DIAGNOSIS_WINDOW), position + DIAGNOSIS_WINDOW
    for counter in range(lo, hi + 1):
        for last in (False, True):
            if counter == position and last == expected_last:
                continue
            try:
                aead.decrypt(nonce(counter, last), record, aad)
            except InvalidTag:
                continue
            return ChunkOutOfOrder(_misplaced(position, counter, last, expected_last))
    return ChunkAuthenticationFailed(
        f"chunk {position} fails authentication: its bytes were altered (or the data key is wrong)")


def _misplaced(position: int, counter: int, last: bool, expected_last: bool) -> str:
    if counter == position and last:
        return (f"chunk {position} is the final chunk, but more data follows it in the chunk area:"
                " chunks appended or the trailer misplaced")
    if counter == position:
        return (f"chunk {position} is not the final chunk, but the chunk area ends after it:"
                " the following chunks were dropped")
    if counter < position:
        return f"chunk at position {position} is a repeat of chunk {counter}"
    return (f"chunk at position {position} is chunk {counter}: "
            f"chunk {position} was dropped or the chunks were reordered")


def hash_chunk_area(source: BinaryIO, area_length: int, block: int,
                    progress: Progress | None = None, version: int = DEFAULT_FORMAT_VERSION) -> bytes:
    """The chunk-area hash (SHA-256 in v1, BLAKE3 in v2) of the next `area_length` bytes of
    `source`, read in blocks (keyless verification)."""
    digest = new_chunk_hash(version)
    buf = memoryview(bytearray(min(block, max(area_length, 1))))
    remaining = area_length
    while remaining:
        got = read_full(source, buf[: min(len(buf), remaining)])
        if not got:
            raise DumpTruncated("file ends inside the chunk area (it changed while being read?)")
        digest.update(buf[:got])
        remaining -= got
        if progress:
            progress(got)
    return bytes(digest.digest())
