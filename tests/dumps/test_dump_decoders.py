"""The bad-input checklist for every decoder (empty, truncated, one byte flipped, trailing bytes,
wrong type), and hypothesis fuzzing of the parsers: only clean KeycouncilError subclasses."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from dump_helpers import FORMATS, make_council, make_sealer, regions, seal_bytes, write
from hypothesis import given, settings
from hypothesis import strategies as st

from council.errors import KeycouncilError
from dumps.errors import DumpTruncated, HeaderInvalid, NotADump, TrailerInvalid, UnsupportedVersion
from dumps.format import check_prefix
from dumps.gen import dump_pb2
from dumps.header_codec import decode_header, encode_header
from dumps.reader import read_unverified_header
from dumps.sealer import SealingIdentity
from dumps.trailers import MAX_TRAILER_LEN, parse_trailer, trailer_length
from dumps.verify import verify_dump

COUNCIL = make_council()
BLOB, SEALED = seal_bytes(COUNCIL, os.urandom(300))
R = regions(BLOB)
HEADER = BLOB[R.header_start:R.header_end]
TRAILER = BLOB[R.trailer_start:]
BY_VERSION = {v: seal_bytes(COUNCIL, os.urandom(300), format_version=v) for v in FORMATS}


def test_header_codec_is_canonical() -> None:
    assert encode_header(decode_header(HEADER)) == HEADER


@pytest.mark.parametrize("bad, error, match", [
    (b"", HeaderInvalid, "missing|app_id|evidence"),
    (HEADER[:-1], HeaderInvalid, "not a valid protobuf|roster_digest"),
    (HEADER + b"\x00", HeaderInvalid, "not a valid protobuf|canonical"),
    (HEADER + bytes([0x98, 0x06, 0x01]), HeaderInvalid, "unknown fields"),
    (bytes([0x18, 0x81, 0x00]) + HEADER, HeaderInvalid, "canonical"),          # non-minimal varint
    (bytes([0x12, 0x02, 0xff, 0xfe]), HeaderInvalid, "not a valid protobuf"),  # bad UTF-8
    (TRAILER, HeaderInvalid, "not a valid protobuf|canonical|missing|field"),   # wrong type
])
def test_header_decoder_checklist(bad: bytes, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        decode_header(bad)


def test_header_decoder_field_rules() -> None:
    good = dump_pb2.DumpHeader.FromString(HEADER)
    for field, value, match in [("format_version", 3, "format_version 3"),
                                ("app_id", "bad app", "app_id"), ("dump_version", 0, "dump_version"),
                                ("previous_digest", b"x", "previous_digest"), ("key_id", "", "key_id"),
                                ("kem_ciphertext", bytes(97), "kem_ciphertext"),
                                ("chunk_size", 8, "chunk_size"), ("sealer_public_key", b"k", "sealer"),
                                ("roster_digest", b"", "roster_digest")]:
        m = dump_pb2.DumpHeader()
        m.CopyFrom(good)
        setattr(m, field, value)
        with pytest.raises((HeaderInvalid, UnsupportedVersion), match=match):
            decode_header(m.SerializeToString(deterministic=True))
    m = dump_pb2.DumpHeader()
    m.CopyFrom(good)
    m.evidence.type = "Not Valid!"
    with pytest.raises(HeaderInvalid, match="evidence.type"):
        decode_header(m.SerializeToString(deterministic=True))


@pytest.mark.parametrize("version", FORMATS)
def test_trailer_decoder_checklist(version: int) -> None:
    blob, sealed = BY_VERSION[version]
    trailer = blob[regions(blob).trailer_start:]
    length = trailer_length(version)
    assert len(trailer) == length == {1: 175, 2: 143}[version]
    assert parse_trailer(version, trailer) == sealed.trailer
    other = BY_VERSION[3 - version][0][-trailer_length(3 - version):]
    for bad, error in [(b"", DumpTruncated), (trailer[:-1], DumpTruncated),
                       (trailer + b"\x00", DumpTruncated), (HEADER[:length], TrailerInvalid),
                       (bytes([trailer[0] ^ 1]) + trailer[1:], TrailerInvalid),
                       (trailer[:6] + bytes([3 - version]) + trailer[7:], TrailerInvalid),
                       (other, DumpTruncated)]:
        with pytest.raises(error):
            parse_trailer(version, bad)


def test_prefix_checklist() -> None:
    assert [check_prefix(BY_VERSION[v][0][:7]) for v in FORMATS] == [1, 2]
    for bad, error in [(b"", DumpTruncated), (b"KCD", DumpTruncated), (b"KCDUMP", DumpTruncated),
                       (b"KCDUMP\x03", UnsupportedVersion), (b"KCDUMP\x00", UnsupportedVersion),
                       (b"PK\x03\x04abc", NotADump), (b"kcdump\x01", NotADump)]:
        with pytest.raises(error):
            check_prefix(bad)


@pytest.mark.parametrize("version", FORMATS)
def test_header_format_version_must_match_the_prefix(version: int) -> None:
    blob = BY_VERSION[version][0]
    relabelled = blob[:6] + bytes([3 - version]) + blob[7:]
    with pytest.raises(HeaderInvalid, match=f"format_version: {version} does not match the prefix's "
                                            f"version byte {3 - version}"):
        read_unverified_header(io.BytesIO(relabelled))


def test_header_length_rules() -> None:
    for length in (0, 256 * 1024 + 1, 2**32 - 1):
        blob = BLOB[:7] + length.to_bytes(4, "big") + BLOB[11:]
        with pytest.raises(HeaderInvalid, match="header length"):
            read_unverified_header(io.BytesIO(blob))


def test_sealer_folder_checklist(tmp_path: Path) -> None:
    sealer = make_sealer()
    sealer.save(tmp_path / "s")
    assert (tmp_path / "s" / "signer.key").stat().st_mode & 0o777 == 0o600
    assert SealingIdentity.load(tmp_path / "s").public_key == sealer.public_key
    with pytest.raises(KeycouncilError, match="already exists"):
        sealer.save(tmp_path / "s")
    with pytest.raises(KeycouncilError, match="not a signer folder"):
        SealingIdentity.load(tmp_path / "missing")
    (tmp_path / "s" / "evidence.data").write_bytes(b"{}")
    with pytest.raises(KeycouncilError, match="does not bind"):
        SealingIdentity.load(tmp_path / "s")
    write(tmp_path / "s", "signer.key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
    with pytest.raises(KeycouncilError, match="not a PEM private key"):
        SealingIdentity.load(tmp_path / "s")
    assert "PRIVATE" not in repr(sealer) and sealer.public_key.hex()[:16] in repr(sealer)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_header_decoder(data: bytes) -> None:
    try:
        decode_header(data)
    except KeycouncilError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(HEADER) - 1), st.integers(1, 255))
def test_fuzz_header_mutations(offset: int, xor: int) -> None:
    mutated = HEADER[:offset] + bytes([HEADER[offset] ^ xor]) + HEADER[offset + 1:]
    try:
        decode_header(mutated)
    except KeycouncilError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FORMATS), st.binary(min_size=143, max_size=MAX_TRAILER_LEN) | st.binary(max_size=300))
def test_fuzz_trailer_decoder(version: int, data: bytes) -> None:
    try:
        parse_trailer(version, data)
    except KeycouncilError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.integers(0, len(BLOB)))
def test_fuzz_whole_file(tmp_path_factory: pytest.TempPathFactory, garbage: bytes, cut: int) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    v1 = BY_VERSION[1][0]
    for blob in (garbage, BLOB[:cut] + garbage, v1[:cut] + garbage, b"KCDUMP\x01" + garbage,
                 b"KCDUMP\x02" + garbage):
        try:
            verify_dump(write(folder, "d.kcd", blob))
        except KeycouncilError:
            pass


def test_sealer_key_is_never_in_errors_or_reprs() -> None:
    sealer = make_sealer()
    secret = sealer.private_key.private_bytes_raw().hex()
    assert secret not in repr(sealer) and secret not in repr(SEALED)
