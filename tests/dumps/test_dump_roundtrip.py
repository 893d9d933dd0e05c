"""Seal then open: sizes across chunk boundaries, empty plaintext, atomic output, key bundle."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from dump_helpers import CHUNK, FORMATS, make_council, make_sealer, seal_bytes, write
from hypothesis import given, settings
from hypothesis import strategies as st

from council.bundle import BundleError
from council.crypto.group import Scalar
from council.errors import AuthenticationFailed
from dumps import SealTarget, key_from_secret, open_dump, seal_dump, verify_dump
from dumps.errors import DumpExists
from dumps.format import chunk_area_length

COUNCIL = make_council()
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 7]


def _roundtrip(data: bytes, chunk_size: int = CHUNK, format_version: int = 2) -> None:
    blob, sealed = seal_bytes(COUNCIL, data, chunk_size=chunk_size, format_version=format_version)
    assert blob[6] == format_version
    assert len(blob) == sealed.size
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), "d.kcd", blob)
        opened = open_dump(path, Path(tmp) / "out", COUNCIL.keys)
        assert (Path(tmp) / "out").read_bytes() == data
        assert opened.plaintext_length == len(data)
        assert verify_dump(path).digest == sealed.digest


@pytest.mark.parametrize("format_version", FORMATS)
@pytest.mark.parametrize("size", SIZES)
def test_roundtrip_at_chunk_boundaries(size: int, format_version: int) -> None:
    _roundtrip(os.urandom(size), format_version=format_version)


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=5 * CHUNK), chunk_size=st.sampled_from([64, 65, 100, 128]),
       format_version=st.sampled_from(FORMATS))
def test_roundtrip_any_size(data: bytes, chunk_size: int, format_version: int) -> None:
    _roundtrip(data, chunk_size, format_version)


def test_new_dumps_are_version_2_by_default() -> None:
    blob, sealed = seal_bytes(COUNCIL, b"x")
    assert blob[:7] == b"KCDUMP\x02" and sealed.header.format_version == 2 and len(blob) == sealed.size


def test_empty_plaintext_is_one_empty_last_chunk() -> None:
    blob, sealed = seal_bytes(COUNCIL, b"")
    assert sealed.trailer.plaintext_length == 0
    assert chunk_area_length(0, CHUNK) == 16


def test_each_dump_has_its_own_data_key() -> None:
    a, _ = seal_bytes(COUNCIL, b"same")
    b, _ = seal_bytes(COUNCIL, b"same")
    assert a != b


def test_seal_dump_writes_atomically_and_never_overwrites(tmp_path: Path) -> None:
    src = write(tmp_path, "state.bin", os.urandom(1000))
    out = tmp_path / "d.kcd"
    seal_dump(src, out, target=COUNCIL.target, sealer=make_sealer(), app_id="app", dump_version=1,
              chunk_size=CHUNK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.kcd", "state.bin"]
    with pytest.raises(DumpExists, match="already exists"):
        seal_dump(src, out, target=COUNCIL.target, sealer=make_sealer(), app_id="app",
                  dump_version=2, chunk_size=CHUNK)
    open_dump(out, tmp_path / "plain", COUNCIL.keys)
    assert (tmp_path / "plain").stat().st_mode & 0o777 == 0o600
    with pytest.raises(DumpExists):
        open_dump(out, tmp_path / "plain", COUNCIL.keys)


def test_failed_seal_leaves_nothing(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def readinto(self, b: memoryview) -> int:  # type: ignore[override]
            raise OSError("disk on fire")

    with pytest.raises(OSError):
        seal_dump(Broken(), tmp_path / "d.kcd", target=COUNCIL.target,  # type: ignore[arg-type]
                  sealer=make_sealer(), app_id="app", dump_version=1)
    assert list(tmp_path.iterdir()) == []


def test_wrong_council_secret_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    blob, _ = seal_bytes(COUNCIL, b"x" * 200)
    path = write(tmp_path, "d.kcd", blob)
    wrong = key_from_secret(Scalar(12345), COUNCIL.public_key)
    with pytest.raises(AuthenticationFailed, match="chunk 0 fails authentication"):
        open_dump(path, tmp_path / "out", wrong)
    assert [p.name for p in tmp_path.iterdir()] == ["d.kcd"]


def test_seal_refuses_a_bundle_whose_signatures_do_not_verify() -> None:
    bundle = COUNCIL.bundle
    forged = type(bundle)(bundle.commit, bundle.signatures[:1], bundle.roster)
    with pytest.raises(BundleError, match="valid commit signatures"):
        SealTarget.from_bundle(forged)
    bad_sig = type(bundle.signatures[0])(bundle.signatures[1].member, bundle.signatures[0].signature)
    with pytest.raises(BundleError, match="valid commit signatures"):
        SealTarget.from_bundle(type(bundle)(bundle.commit, (bundle.signatures[0], bad_sig), bundle.roster))


def test_bundle_file_roundtrip(tmp_path: Path) -> None:
    path = write(tmp_path, "bundle.json", COUNCIL.bundle.dumps().encode())
    assert SealTarget.load_bundle(path).key_id == "test-key"
    with pytest.raises(BundleError, match="not valid JSON"):
        SealTarget.load_bundle(write(tmp_path, "broken.json", b"{"))
