"""The codec's one-loop reader of (index, blob) pairs refuses exactly what uint(2) + blob refuse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto.codec import MAX_BLOB, Reader, Writer
from council.errors import DecodeError

pairs = st.lists(st.tuples(st.integers(0, 2**16 - 1), st.binary(max_size=40)), max_size=6)


def _one_by_one(data: bytes, count: int) -> list[tuple[int, bytes]] | str:
    r = Reader(data, "m")
    try:
        return [(r.uint(2, f"share[{n}].recipient"), r.blob(f"share[{n}]")) for n in range(count)]
    except DecodeError as exc:
        return str(exc)


def _in_one_loop(data: bytes, count: int) -> list[tuple[int, bytes]] | str:
    try:
        return Reader(data, "m").indexed_blobs(count, "share")
    except DecodeError as exc:
        return str(exc)


@settings(max_examples=60, deadline=None)
@given(pairs, st.integers(0, 3))
def test_indexed_blobs_match_uint_then_blob_on_every_prefix(items: list[tuple[int, bytes]], extra: int) -> None:
    w = Writer()
    for j, blob in items:
        w.uint(j, 2).blob(blob)
    data = w.getvalue()
    for cut in range(len(data) + 1):
        for count in (len(items), len(items) + extra):
            assert _in_one_loop(data[:cut], count) == _one_by_one(data[:cut], count)


def test_an_oversized_length_is_refused_like_blob() -> None:
    data = (7).to_bytes(2, "big") + (MAX_BLOB + 1).to_bytes(4, "big")
    assert _in_one_loop(data, 1) == _one_by_one(data, 1)
    assert "exceeds" in str(_in_one_loop(data, 1))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 4), st.integers(0, 4 * 65 + 2), st.integers(0, 255))
def test_points_match_point_by_point_reads(count: int, pos: int, flip: int) -> None:
    from council.crypto.group import P256, Scalar

    w = Writer()
    for _ in range(count):
        w.point(P256.base_mul(Scalar.random()))
    data = bytearray(w.getvalue())
    if pos < len(data):
        data[pos] ^= flip

    def read(fn):  # type: ignore[no-untyped-def]
        try:
            return [p.to_bytes() for p in fn(Reader(bytes(data), "m"))]
        except DecodeError as exc:
            return str(exc)
    one_by_one = read(lambda r: [r.point(f"c[{k}]") for k in range(count)])
    assert read(lambda r: r.points(count, "c")) == one_by_one
    assert read(lambda r: r.points(count + 1, "c")) == read(lambda r: [r.point(f"c[{k}]") for k in range(count + 1)])
