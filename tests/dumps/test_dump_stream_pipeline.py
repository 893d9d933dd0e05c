"""The chunk pipeline of `dumps.stream` and `dumps.seal_pipeline` (decisions 113, 120, 134): sealing
shares the hashing and the writes between the calling thread and a worker, opening reads ahead and
hashes on the worker. Whatever the thread split, the bytes,
the digests and the first failure in chunk order are those of one chunk processed after another."""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
import time

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dumps.errors import ChunkAuthenticationFailed, DumpTruncated
from dumps.format import TAG_LEN
from dumps.seal_pipeline import SEAL_SLOTS, SealPipeline
from dumps.stream import THREAD_MIN_CHUNK, decrypt_stream, encrypt_stream, hash_chunk_area

KEY = bytes(range(32))
AAD = b"header digest"
SIZES = [64, THREAD_MIN_CHUNK]  # inline, and on the worker thread


def _chunk_hash(version: int, data: bytes) -> bytes:
    return hashlib.sha256(data).digest() if version == 1 else blake3.blake3(data).digest()


class _Slow(io.RawIOBase):
    """A sink that takes each write in two halves (a file system may), keeping all."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[no-untyped-def,override]
        data = bytes(b)
        self.parts += [data[: len(data) // 2], data[len(data) // 2:]]
        return len(data)


@pytest.mark.parametrize("chunk", SIZES)
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("chunks", [1, 2, 3, 6])
def test_seal_then_open_keeps_bytes_and_digests(chunk: int, version: int, chunks: int) -> None:
    plain = secrets.token_bytes(chunk * chunks - 5)
    sink = _Slow()
    sealed = encrypt_stream(io.BytesIO(plain), sink, KEY, AAD, chunk, version=version)
    area = b"".join(sink.parts)
    assert len(area) == len(plain) + chunks * TAG_LEN and sealed.chunk_count == chunks
    assert sealed.chunks_digest == _chunk_hash(version, area)
    out = io.BytesIO()
    opened = decrypt_stream(io.BytesIO(area), out, KEY, AAD, chunk, len(area), version=version)
    assert out.getvalue() == plain and opened.chunks_digest == sealed.chunks_digest
    assert opened.plaintext_length == len(plain)
    if version == 1:
        assert sealed.plaintext_sha256 == opened.plaintext_sha256 == hashlib.sha256(plain).digest()


def _area(chunk: int, chunks: int) -> bytes:
    sink = io.BytesIO()
    encrypt_stream(io.BytesIO(secrets.token_bytes(chunk * chunks)), sink, KEY, AAD, chunk)
    return sink.getvalue()


@pytest.mark.parametrize("chunk", SIZES)
def test_a_file_that_shrinks_while_read_is_truncated_at_its_chunk(chunk: int) -> None:
    area = _area(chunk, 4)
    cut = area[: 2 * (chunk + TAG_LEN) + 7]  # the file ends inside chunk 2
    with pytest.raises(DumpTruncated, match="inside chunk 2"):
        decrypt_stream(io.BytesIO(cut), io.BytesIO(), KEY, AAD, chunk, len(area))


@pytest.mark.parametrize("chunk", SIZES)
def test_the_first_failure_in_chunk_order_wins(chunk: int) -> None:
    area = bytearray(_area(chunk, 4))
    area[3] ^= 1  # chunk 0 altered, and the file also ends inside chunk 1 (read ahead)
    cut = bytes(area[: chunk + TAG_LEN + 5])
    out = io.BytesIO()
    with pytest.raises(ChunkAuthenticationFailed, match="chunk 0 fails authentication"):
        decrypt_stream(io.BytesIO(cut), out, KEY, AAD, chunk, len(area))
    assert out.getvalue() == b""  # nothing of an unauthenticated chunk was written


@pytest.mark.parametrize("chunk", SIZES)
def test_chunks_before_a_failure_are_written_in_order(chunk: int) -> None:
    plain = secrets.token_bytes(chunk * 5)
    sink = io.BytesIO()
    encrypt_stream(io.BytesIO(plain), sink, KEY, AAD, chunk)
    area = bytearray(sink.getvalue())
    area[3 * (chunk + TAG_LEN) + 1] ^= 0x80  # chunk 3 altered
    out = io.BytesIO()
    with pytest.raises(ChunkAuthenticationFailed, match="chunk 3 fails authentication"):
        decrypt_stream(io.BytesIO(bytes(area)), out, KEY, AAD, chunk, len(area))
    assert out.getvalue() == plain[: 3 * chunk]


class _Recording(io.RawIOBase):
    """A sink that notes which thread took each write, slowly (the worker then often idles), and
    fails at write number `fail_at` as a full disk would."""

    def __init__(self, fail_at: int = -1) -> None:
        self.data, self.threads, self.fail_at = bytearray(), [], fail_at

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[no-untyped-def,override]
        if len(self.threads) == self.fail_at:
            raise OSError(28, "No space left on device")
        self.threads.append(threading.get_ident())
        time.sleep(0.002)
        self.data += b
        return len(b)


def test_writes_shared_with_the_worker_stay_in_record_order() -> None:
    plain = secrets.token_bytes(THREAD_MIN_CHUNK * 12 + 3)
    sink = _Recording()
    sealed = encrypt_stream(io.BytesIO(plain), sink, KEY, AAD, THREAD_MIN_CHUNK)
    area = bytes(sink.data)
    assert sealed.chunks_digest == blake3.blake3(area).digest()
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(area), out, KEY, AAD, THREAD_MIN_CHUNK, len(area))
    assert out.getvalue() == plain and len(sink.threads) == 13


@pytest.mark.parametrize("fail_at", [0, 1, 5, 12])
def test_a_failed_write_fails_sealing_whichever_thread_wrote(fail_at: int) -> None:
    sink = _Recording(fail_at)
    with pytest.raises(OSError, match="No space left"):
        encrypt_stream(io.BytesIO(secrets.token_bytes(THREAD_MIN_CHUNK * 12 + 3)), sink, KEY, AAD,
                       THREAD_MIN_CHUNK)
    assert len(sink.threads) == fail_at  # nothing written after the failed record


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 3 * THREAD_MIN_CHUNK + 9), st.sampled_from([64, 1000, THREAD_MIN_CHUNK]),
       st.sampled_from([1, 2]), st.integers(0, 40))
def test_hash_chunk_area_reads_ahead_exactly_the_area(length: int, block: int, version: int,
                                                      extra: int) -> None:
    data = secrets.token_bytes(length + extra)
    source = io.BytesIO(data)
    seen: list[int] = []
    assert hash_chunk_area(source, length, block, seen.append, version) == _chunk_hash(version, data[:length])
    assert source.tell() == length and sum(seen) == length  # nothing read past the area


@pytest.mark.parametrize("block", [64, THREAD_MIN_CHUNK])
def test_hash_chunk_area_of_a_shrunk_file_is_truncated(block: int) -> None:
    data = secrets.token_bytes(3 * block)
    for cut in (0, 1, block, 2 * block + 1, 3 * block - 1):
        with pytest.raises(DumpTruncated, match="inside the chunk area"):
            hash_chunk_area(io.BytesIO(data[:cut]), len(data), block)


class _SlowHash:
    """A chunk hash that takes its time (the worker then falls behind) and may fail at update
    number `fail_at`."""

    def __init__(self, fail_at: int = -1, delay: float = 0.002) -> None:
        self.inner, self.calls, self.fail_at, self.delay = blake3.blake3(), 0, fail_at, delay
        self.threads: list[int | None] = []

    def update(self, data: memoryview) -> None:
        if self.calls == self.fail_at:
            raise ValueError("hash failed")
        self.calls += 1
        self.threads.append(threading.get_ident())
        time.sleep(self.delay)
        self.inner.update(data)


def _records(pipeline: SealPipeline, count: int, length: int) -> bytes:
    """Push `count` records of `length` bytes (record i filled with byte i) through `pipeline`."""
    expected = b""
    for i in range(count):
        record = pipeline.slot(length)
        record[:] = bytes([i]) * length
        expected += bytes(record)
        pipeline.push(record)
    pipeline.drain()
    return expected


@pytest.mark.parametrize("slow", ["hash", "sink"])
@pytest.mark.parametrize("slots", [1, 2, SEAL_SLOTS])
def test_the_pipeline_writes_every_record_once_in_order_whichever_side_is_slow(slow: str, slots: int) -> None:
    sink: io.RawIOBase = _Recording() if slow == "sink" else io.BytesIO()
    chunk_hash = _SlowHash() if slow == "hash" else _SlowHash(delay=0)
    with SealPipeline(sink, chunk_hash, 100, slots) as pipeline:  # type: ignore[arg-type]
        expected = _records(pipeline, 3 * SEAL_SLOTS + 1, 100 + TAG_LEN)
    written = bytes(sink.data) if isinstance(sink, _Recording) else sink.getvalue()  # type: ignore[attr-defined]
    assert written == expected and chunk_hash.inner.digest() == blake3.blake3(expected).digest()


def test_with_a_slow_sink_the_calling_thread_hashes_while_the_worker_writes() -> None:
    """Which thread takes which write depends on the scheduler (a loaded machine may leave the
    worker asleep while the caller writes), so only the hashing's move to the caller is asserted:
    under the old split (hash pinned to the worker) it never happened."""
    sink, chunk_hash = _Recording(), _SlowHash(delay=0)
    with SealPipeline(sink, chunk_hash, 100, SEAL_SLOTS) as pipeline:  # type: ignore[arg-type]
        expected = _records(pipeline, 3 * SEAL_SLOTS + 1, 100 + TAG_LEN)
    caller = threading.get_ident()
    assert bytes(sink.data) == expected and chunk_hash.inner.digest() == blake3.blake3(expected).digest()
    assert caller in chunk_hash.threads, "the caller never hashed: it waited on the worker's writes"


@pytest.mark.parametrize("fail_at", [0, 3, 9])
def test_a_failed_hash_fails_sealing_and_stops_the_writes(fail_at: int) -> None:
    sink = io.BytesIO()
    with pytest.raises(ValueError, match="hash failed"):
        with SealPipeline(sink, _SlowHash(fail_at), 100, SEAL_SLOTS) as pipeline:
            _records(pipeline, 12, 100)
    assert not any(t.name == "dump-hash" for t in threading.enumerate())
    assert len(sink.getvalue()) <= (fail_at + SEAL_SLOTS) * 100  # at most the records in the slots


class _FailingSource(io.RawIOBase):
    """A source that fails after `good` bytes, as a dying disk would."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def,override]
        if self.left <= 0:
            raise OSError(5, "Input/output error")
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def test_a_failed_read_leaves_no_worker_behind() -> None:
    with pytest.raises(OSError, match="Input/output error"):
        encrypt_stream(_FailingSource(THREAD_MIN_CHUNK * 7 + 5), _Recording(), KEY, AAD, THREAD_MIN_CHUNK)
    assert not any(t.name == "dump-hash" for t in threading.enumerate())
