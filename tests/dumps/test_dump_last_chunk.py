"""The last-chunk flag (issue 3/7, defect 6): the final chunk is sealed with flag byte 0x01 in its
nonce and every other chunk with 0x00, and opening insists on it, so a chunk area cut at a chunk
boundary (the final chunks dropped) or extended past a final chunk never opens as whole."""

from __future__ import annotations

import io
import secrets

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dumps.errors import ChunkOutOfOrder
from dumps.format import TAG_LEN
from dumps.stream import decrypt_stream, encrypt_stream

CHUNK = 64
KEY = bytes(range(32))
AAD = b"header digest"


def _sealed(chunks: int) -> bytes:
    sink = io.BytesIO()
    encrypt_stream(io.BytesIO(secrets.token_bytes(CHUNK * chunks)), sink, KEY, AAD, CHUNK)
    return sink.getvalue()


def _open(area: bytes) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(area), out, KEY, AAD, CHUNK, len(area))
    return out.getvalue()


def test_only_the_final_chunk_carries_the_flag() -> None:
    area, record = _sealed(3), CHUNK + TAG_LEN
    aead = AESGCM(KEY)
    for i in range(3):
        chunk = area[i * record:(i + 1) * record]
        flag = b"\x01" if i == 2 else b"\x00"
        aead.decrypt(i.to_bytes(11, "big") + flag, chunk, AAD)  # the flag the format prescribes
        with pytest.raises(InvalidTag):
            aead.decrypt(i.to_bytes(11, "big") + (b"\x00" if i == 2 else b"\x01"), chunk, AAD)


@pytest.mark.parametrize("kept", [1, 2])
def test_dropping_the_final_chunks_is_detected(kept: int) -> None:
    area = _sealed(3)
    assert len(_open(area)) == 3 * CHUNK
    with pytest.raises(ChunkOutOfOrder, match=f"chunk {kept - 1} is not the final chunk"):
        _open(area[:kept * (CHUNK + TAG_LEN)])


def test_data_after_the_final_chunk_is_detected() -> None:
    one, three = _sealed(1), _sealed(3)
    with pytest.raises(ChunkOutOfOrder, match="chunk 0 is the final chunk, but more data follows"):
        _open(one + three[CHUNK + TAG_LEN:])
