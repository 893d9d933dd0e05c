"""Tampering: a flipped byte in every region, truncation at every chunk boundary, dropped,
repeated and reordered chunks, a trailer from another dump, trailing bytes. Each is refused with
its own error class and message, by `open_dump` (nothing left at OUT) and by keyless `verify_dump`.
Every test runs for both format versions (the `d` fixture), and across versions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from dump_helpers import (
    FORMATS,
    RECORD,
    Regions,
    flip,
    make_council,
    make_sealer,
    regions,
    seal_bytes,
    write,
)

from council.errors import KeycouncilError, ProofError
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
from dumps.format import Trailer, header_signed_message, prefix_for
from dumps.format_v2 import TrailerV2, chunk_hasher
from dumps.gen import dump_pb2
from dumps.seal import SealedDump

COUNCIL = make_council()
DATA = bytes(range(256)) * 2 + b"tail"          # 516 bytes: 8 full chunks of 64 + a last of 4
N_CHUNKS = 9


@dataclass(frozen=True)
class Sealed:
    """One sealed dump of DATA in one format version, and its regions."""

    version: int
    blob: bytes
    sealed: SealedDump
    r: Regions


def _sealed(version: int) -> Sealed:
    blob, sealed = seal_bytes(COUNCIL, DATA, format_version=version)
    return Sealed(version, blob, sealed, regions(blob))


DUMPS = {v: _sealed(v) for v in FORMATS}


@pytest.fixture(params=FORMATS, ids=[f"v{v}" for v in FORMATS])
def d(request: pytest.FixtureRequest) -> Sealed:
    return DUMPS[request.param]


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


def test_untouched_dump_opens(tmp_path: Path, d: Sealed) -> None:
    open_dump(write(tmp_path, "d.kcd", d.blob), tmp_path / "out", COUNCIL.keys)
    assert (tmp_path / "out").read_bytes() == DATA


def test_flipped_magic_and_version(tmp_path: Path, d: Sealed) -> None:
    for offset in range(6):
        refused(tmp_path, flip(d.blob, offset), NotADump, "does not start with the magic")
    refused(tmp_path, flip(d.blob, 6), UnsupportedVersion,
            f"format version {d.version ^ 1} is not supported")


def test_flipped_header_length(tmp_path: Path, d: Sealed) -> None:
    for offset in range(7, 11):
        with pytest.raises((HeaderInvalid, DumpTruncated)):
            verify_dump(write(tmp_path, "d.kcd", flip(d.blob, offset)))


def test_every_header_byte_flipped(tmp_path: Path, d: Sealed) -> None:
    for offset in range(d.r.header_start, d.r.header_end):
        path = write(tmp_path, "d.kcd", flip(d.blob, offset))
        with pytest.raises((HeaderSignatureInvalid, HeaderInvalid, UnsupportedVersion)) as caught:
            open_dump(path, tmp_path / "out", COUNCIL.keys)
        assert not (tmp_path / "out").exists()
        if isinstance(caught.value, HeaderSignatureInvalid):
            assert "header altered" in str(caught.value)


def test_header_signature_flipped(tmp_path: Path, d: Sealed) -> None:
    for offset in (d.r.header_end, d.r.body_start - 1):
        refused(tmp_path, flip(d.blob, offset), HeaderSignatureInvalid, "header signature does not verify")


@pytest.mark.parametrize("chunk", [0, 1, 4, N_CHUNKS - 1])
def test_flipped_chunk_byte(tmp_path: Path, chunk: int, d: Sealed) -> None:
    start, end = d.r.chunk(chunk)
    for offset in (start, (start + end) // 2, end - 1):  # first byte, middle, last tag byte
        refused(tmp_path, flip(d.blob, offset), ChunkAuthenticationFailed,
                f"chunk {chunk} fails authentication", ContentMismatch, "chunks digest")


def test_flipped_trailer(tmp_path: Path, d: Sealed) -> None:
    t = d.r.trailer_start
    refused(tmp_path, flip(d.blob, t), TrailerInvalid, "marker")
    for offset in (t + 7, t + 40, t + 75, t + 100, len(d.blob) - 1):  # digests, length, signature
        refused(tmp_path, flip(d.blob, offset), TrailerSignatureInvalid, "trailer signature does not verify")


@pytest.mark.parametrize("k", range(N_CHUNKS))
def test_truncated_at_every_chunk_boundary(tmp_path: Path, k: int, d: Sealed) -> None:
    cut = d.blob[:d.r.body_start + k * RECORD]
    expected = "right after the header" if k == 0 else f"chunk boundary after {k} chunk"
    refused(tmp_path, cut, DumpTruncated, expected)


def test_truncated_elsewhere(tmp_path: Path, d: Sealed) -> None:
    refused(tmp_path, d.blob[:d.r.trailer_start], DumpTruncated, "truncated")     # trailer missing
    refused(tmp_path, d.blob[:-1], DumpTruncated, "truncated")                  # trailer cut short
    refused(tmp_path, d.blob[:d.r.header_end - 3], DumpTruncated, "inside the header")
    refused(tmp_path, d.blob[:3], DumpTruncated, "inside the 7-byte prefix")
    refused(tmp_path, b"", DumpTruncated, "prefix")


def _chunks(d: Sealed) -> list[bytes]:
    return [d.blob[slice(*d.r.chunk(i))] for i in range(N_CHUNKS)]


def _with_chunks(d: Sealed, chunks: list[bytes]) -> bytes:
    return d.blob[:d.r.body_start] + b"".join(chunks) + d.blob[d.r.trailer_start:]


def test_dropped_chunk(tmp_path: Path, d: Sealed) -> None:
    chunks = _chunks(d)
    refused(tmp_path, _with_chunks(d, chunks[:3] + chunks[4:]), LengthMismatch,
            r"80 bytes \(1.00 chunks\) shorter than the signed plaintext length implies: a chunk dropped")


def test_dropped_final_chunk(tmp_path: Path, d: Sealed) -> None:
    refused(tmp_path, _with_chunks(d, _chunks(d)[:-1]), LengthMismatch, "shorter.*a chunk dropped")


def test_repeated_chunk(tmp_path: Path, d: Sealed) -> None:
    chunks = _chunks(d)
    refused(tmp_path, _with_chunks(d, chunks[:3] + [chunks[2]] + chunks[3:]), LengthMismatch,
            "longer than the signed plaintext length implies: a chunk repeated")


def test_reordered_chunks(tmp_path: Path, d: Sealed) -> None:
    chunks = _chunks(d)
    chunks[1], chunks[2] = chunks[2], chunks[1]
    refused(tmp_path, _with_chunks(d, chunks), ChunkOutOfOrder, "position 1 is chunk 2",
            ContentMismatch, "chunks digest")


def test_trailer_from_another_dump(tmp_path: Path, d: Sealed) -> None:
    other, _ = seal_bytes(COUNCIL, DATA, format_version=d.version)  # same sealer, content, another dump
    swapped = d.blob[:d.r.trailer_start] + other[regions(other).trailer_start:]
    refused(tmp_path, swapped, TrailerMismatch, "signed for another header.*moved from another dump")


def test_trailing_bytes(tmp_path: Path, d: Sealed) -> None:
    for extra in (b"\x00", b"garbage" * 3, d.blob[-100:]):
        refused(tmp_path, d.blob + extra, TrailingData, f"{len(extra)} bytes follow the trailer")
    refused(tmp_path, d.blob + d.blob[-200:], LengthMismatch, "longer")  # ends with a valid trailer


def test_header_from_another_dump(tmp_path: Path, d: Sealed) -> None:
    other, _ = seal_bytes(COUNCIL, DATA, format_version=d.version)
    spliced = other[:regions(other).body_start] + d.blob[d.r.body_start:]
    refused(tmp_path, spliced, TrailerMismatch, "signed for another header")


def test_chunk_replaced_by_a_copy_of_another(tmp_path: Path, d: Sealed) -> None:
    chunks = _chunks(d)
    chunks[3] = chunks[2]
    refused(tmp_path, _with_chunks(d, chunks), ChunkOutOfOrder, "position 3 is a repeat of chunk 2",
            ContentMismatch, "chunks digest")


def test_version_byte_swapped_between_versions(tmp_path: Path, d: Sealed) -> None:
    other = 3 - d.version
    relabelled = d.blob[:6] + bytes([other]) + d.blob[7:]
    refused(tmp_path, relabelled, HeaderInvalid,
            f"format_version: {d.version} does not match the prefix's version byte {other}")


def test_trailer_of_the_other_version_is_refused(tmp_path: Path, d: Sealed) -> None:
    other = DUMPS[3 - d.version]
    swapped = d.blob[:d.r.trailer_start] + other.blob[other.r.trailer_start:]
    path = write(tmp_path, "d.kcd", swapped)
    with pytest.raises((DumpTruncated, TrailerInvalid, TrailingData, LengthMismatch, TrailerSignatureInvalid)):
        open_dump(path, tmp_path / "out", COUNCIL.keys)
    assert not (tmp_path / "out").exists()
    with pytest.raises(KeycouncilError):
        verify_dump(path)


def test_sealer_relabelling_a_dump_to_the_other_version_gets_a_dump_nobody_decrypts(tmp_path: Path,
                                                                                  d: Sealed) -> None:
    """The sealer itself re-signs header and trailer under the other version, keeping the KEM
    ciphertext: the KEM label binds the format version, so the proof fails (step 9)."""
    sealer, other = make_sealer(), 3 - d.version
    message = dump_pb2.DumpHeader.FromString(d.blob[d.r.header_start:d.r.header_end])
    message.format_version = other
    header = message.SerializeToString(deterministic=True)
    area = d.blob[d.r.body_start:d.r.trailer_start]
    h_sha = hashlib.sha256(header).digest()
    if other == 1:
        fields = (h_sha, hashlib.sha256(area).digest(), len(DATA), hashlib.sha256(DATA).digest())
        trailer = Trailer(*fields, sealer.sign(Trailer(*fields, bytes(64)).signed_message())).to_bytes()
    else:
        hasher = chunk_hasher()
        hasher.update(area)
        fields2 = (h_sha, hasher.digest(), len(DATA))
        trailer = TrailerV2(*fields2, sealer.sign(TrailerV2(*fields2, bytes(64)).signed_message())).to_bytes()
    blob = (prefix_for(other) + len(header).to_bytes(4, "big") + header
            + sealer.sign(header_signed_message(header, other)) + area + trailer)
    refused(tmp_path, blob, ProofError, "proof does not verify")
