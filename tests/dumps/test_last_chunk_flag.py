"""The last-chunk flag binds where a dump ends: a chunk area cut at a chunk boundary, or with
chunks after the final one, never opens as whole (dumps/stream.py; `make mutants`)."""

from __future__ import annotations

import io
import secrets

import pytest

from council.errors import KeycouncilError
from dumps.format import TAG_LEN
from dumps.stream import decrypt_stream, encrypt_stream

CHUNK, KEY, AAD = 64, secrets.token_bytes(32), b"header digest"
RECORD = CHUNK + TAG_LEN


def _sealed(chunks: int) -> tuple[bytes, bytes]:
    plain, sink = secrets.token_bytes(CHUNK * chunks), io.BytesIO()
    encrypt_stream(io.BytesIO(plain), sink, KEY, AAD, CHUNK)
    return plain, sink.getvalue()


def _open(area: bytes) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(area), out, KEY, AAD, CHUNK, len(area))
    return out.getvalue()


def test_whole_area_opens() -> None:
    plain, area = _sealed(3)
    assert _open(area) == plain


@pytest.mark.parametrize("kept", [1, 2])
def test_an_area_cut_at_a_chunk_boundary_is_refused(kept: int) -> None:
    _, area = _sealed(3)
    with pytest.raises(KeycouncilError, match=f"chunk {kept - 1}"):
        _open(area[:kept * RECORD])


def test_chunks_after_the_final_one_are_refused() -> None:
    _, one = _sealed(1)
    _, three = _sealed(3)
    with pytest.raises(KeycouncilError):
        _open(one + three[RECORD:])
