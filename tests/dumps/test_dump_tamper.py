"""Tampering: a flipped byte in every region, truncation at every chunk boundary, dropped,
repeated and reordered chunks, a trailer from another dump, trailing bytes. Each is refused with
its own error class and message, by `open_dump` (nothing left at OUT) and by keyless `verify_dump`."""

from __future__ import annotations

from pathlib import Path

import pytest
from dump_helpers import RECORD, Regions, flip, make_council, regions, seal_bytes, write

from council.errors import KeycouncilError
from dumps import open_dump, verify_dump
from dumps.errors import (
    ChunkAuthenticationFailed,
    ChunkOutOfOrder,
    ContentMismatch,
    DumpTruncated,
    HeaderInvalid,
    HeaderSignatureInvalid,
    LengthMismatch,
    NotADump,
    TrailerInvalid,
    TrailerMismatch,
    TrailerSignatureInvalid,
    TrailingData,
    UnsupportedVersion,
)

COUNCIL = make_council()
DATA = bytes(range(256)) * 2 + b"tail"          # 516 bytes: 8 full chunks of 64 + a last of 4
BLOB, SEALED = seal_bytes(COUNCIL, DATA)
R: Regions = regions(BLOB)
N_CHUNKS = 9


def refused(tmp_path: Path, blob: bytes, error: type[KeycouncilError], match: str,
            keyless: type[KeycouncilError] | None = None, keyless_match: str | None = None) -> None:
    """open_dump raises `error`; nothing but the dump is left; verify_dump refuses too."""
    path = write(tmp_path, "d.kcd", blob)
    with pytest.raises(error, match=match) as caught:
        open_dump(path, tmp_path / "out", COUNCIL.keys)
    assert type(caught.value) is error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.kcd"]
    with pytest.raises(keyless or error, match=keyless_match or match):
        verify_dump(path)
    path.unlink()


def test_untouched_dump_opens(tmp_path: Path) -> None:
    open_dump(write(tmp_path, "d.kcd", BLOB), tmp_path / "out", COUNCIL.keys)
    assert (tmp_path / "out").read_bytes() == DATA


def test_flipped_magic_and_version(tmp_path: Path) -> None:
    for offset in range(6):
        refused(tmp_path, flip(BLOB, offset), NotADump, "does not start with the magic")
    refused(tmp_path, flip(BLOB, 6), UnsupportedVersion, "format version 0 is not supported")


def test_flipped_header_length(tmp_path: Path) -> None:
    for offset in range(7, 11):
        with pytest.raises((HeaderInvalid, DumpTruncated)):
            verify_dump(write(tmp_path, "d.kcd", flip(BLOB, offset)))


def test_every_header_byte_flipped(tmp_path: Path) -> None:
    for offset in range(R.header_start, R.header_end):
        path = write(tmp_path, "d.kcd", flip(BLOB, offset))
        with pytest.raises((HeaderSignatureInvalid, HeaderInvalid, UnsupportedVersion)) as caught:
            open_dump(path, tmp_path / "out", COUNCIL.keys)
        assert not (tmp_path / "out").exists()
        if isinstance(caught.value, HeaderSignatureInvalid):
            assert "header altered" in str(caught.value)


def test_header_signature_flipped(tmp_path: Path) -> None:
    for offset in (R.header_end, R.body_start - 1):
        refused(tmp_path, flip(BLOB, offset), HeaderSignatureInvalid, "header signature does not verify")


@pytest.mark.parametrize("chunk", [0, 1, 4, N_CHUNKS - 1])
def test_flipped_chunk_byte(tmp_path: Path, chunk: int) -> None:
    start, end = R.chunk(chunk)
    for offset in (start, (start + end) // 2, end - 1):  # first byte, middle, last tag byte
        refused(tmp_path, flip(BLOB, offset), ChunkAuthenticationFailed,
                f"chunk {chunk} fails authentication", ContentMismatch, "chunks digest")


def test_flipped_trailer(tmp_path: Path) -> None:
    t = R.trailer_start
    refused(tmp_path, flip(BLOB, t), TrailerInvalid, "marker")
    for offset in (t + 7, t + 40, t + 75, t + 100, len(BLOB) - 1):  # digests, length, signature
        refused(tmp_path, flip(BLOB, offset), TrailerSignatureInvalid, "trailer signature does not verify")


@pytest.mark.parametrize("k", range(N_CHUNKS))
def test_truncated_at_every_chunk_boundary(tmp_path: Path, k: int) -> None:
    cut = BLOB[:R.body_start + k * RECORD]
    expected = "right after the header" if k == 0 else f"chunk boundary after {k} chunk"
    refused(tmp_path, cut, DumpTruncated, expected)


def test_truncated_elsewhere(tmp_path: Path) -> None:
    refused(tmp_path, BLOB[:R.trailer_start], DumpTruncated, "truncated")     # trailer missing
    refused(tmp_path, BLOB[:-1], DumpTruncated, "truncated")                  # trailer cut short
    refused(tmp_path, BLOB[:R.header_end - 3], DumpTruncated, "inside the header")
    refused(tmp_path, BLOB[:3], DumpTruncated, "inside the 7-byte prefix")
    refused(tmp_path, b"", DumpTruncated, "prefix")


def _chunks() -> list[bytes]:
    return [BLOB[slice(*R.chunk(i))] for i in range(N_CHUNKS)]


def _with_chunks(chunks: list[bytes]) -> bytes:
    return BLOB[:R.body_start] + b"".join(chunks) + BLOB[R.trailer_start:]


def test_dropped_chunk(tmp_path: Path) -> None:
    chunks = _chunks()
    refused(tmp_path, _with_chunks(chunks[:3] + chunks[4:]), LengthMismatch,
            r"80 bytes \(1.00 chunks\) shorter than the signed plaintext length implies: a chunk dropped")


def test_dropped_final_chunk(tmp_path: Path) -> None:
    refused(tmp_path, _with_chunks(_chunks()[:-1]), LengthMismatch, "shorter.*a chunk dropped")


def test_repeated_chunk(tmp_path: Path) -> None:
    chunks = _chunks()
    refused(tmp_path, _with_chunks(chunks[:3] + [chunks[2]] + chunks[3:]), LengthMismatch,
            "longer than the signed plaintext length implies: a chunk repeated")


def test_reordered_chunks(tmp_path: Path) -> None:
    chunks = _chunks()
    chunks[1], chunks[2] = chunks[2], chunks[1]
    refused(tmp_path, _with_chunks(chunks), ChunkOutOfOrder, "position 1 is chunk 2",
            ContentMismatch, "chunks digest")


def test_trailer_from_another_dump(tmp_path: Path) -> None:
    other, _ = seal_bytes(COUNCIL, DATA)          # same sealer, same content, another dump
    swapped = BLOB[:R.trailer_start] + other[regions(other).trailer_start:]
    refused(tmp_path, swapped, TrailerMismatch, "signed for another header.*moved from another dump")


def test_trailing_bytes(tmp_path: Path) -> None:
    for extra in (b"\x00", b"garbage" * 3, BLOB[-100:]):
        refused(tmp_path, BLOB + extra, TrailingData, f"{len(extra)} bytes follow the trailer")
    refused(tmp_path, BLOB + BLOB[-200:], LengthMismatch, "longer")  # ends with a valid trailer


def test_header_from_another_dump(tmp_path: Path) -> None:
    other, _ = seal_bytes(COUNCIL, DATA)
    spliced = other[:regions(other).body_start] + BLOB[R.body_start:]
    refused(tmp_path, spliced, TrailerMismatch, "signed for another header")


def test_chunk_replaced_by_a_copy_of_another(tmp_path: Path) -> None:
    chunks = _chunks()
    chunks[3] = chunks[2]
    refused(tmp_path, _with_chunks(chunks), ChunkOutOfOrder, "position 3 is a repeat of chunk 2",
            ContentMismatch, "chunks digest")
