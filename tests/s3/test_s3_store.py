"""The S3 store against a real S3 server process (moto_server on 127.0.0.1): listing, choosing the
newest and opening straight from the bucket; create-only publishing (an existing object is never
overwritten, also when the object appears during a multipart upload); damaged objects refused with
the same error classes as damaged files; errors that name bucket, key and S3's answer, never the
credentials."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from dump_helpers import CHUNK, make_council, regions, seal_bytes
from s3_helpers import ACCESS_KEY, SECRET_KEY, S3Server

from council.errors import KeycouncilError, StorageError
from dumps.errors import ChunkAuthenticationFailed, DumpExists
from dumps.newest import choose_newest
from dumps.open import open_dump
from dumps.publish import publish_file
from dumps.s3errors import ObjectChanged
from dumps.s3io import MIN_PART_SIZE, MultipartWriter
from dumps.s3store import S3Store
from dumps.store import FolderStore, create_from
from dumps.stores import open_store
from dumps.verify import verify_dump

pytestmark = pytest.mark.timeout(60)
COUNCIL = make_council()


def _store(s3: S3Server, prefix: str = "dumps") -> S3Store:
    store = open_store(f"s3://{s3.bucket()}/{prefix}", s3_endpoint=s3.endpoint)
    assert isinstance(store, S3Store)
    return store


def _chain(n: int, size: int = 3000, chunk: int = CHUNK) -> list[tuple[bytes, bytes]]:
    """(dump, plaintext) of versions 1..n of one app, chained."""
    out, previous = [], b""
    for v in range(1, n + 1):
        data = os.urandom(size + v)
        blob, sealed = seal_bytes(COUNCIL, data, version=v, previous=previous, chunk_size=chunk)
        out.append((blob, data))
        previous = sealed.digest
    return out


def test_open_store_parses_urls(tmp_path: Path, s3: S3Server) -> None:
    assert isinstance(open_store(str(tmp_path)), FolderStore)
    assert isinstance(open_store(f"file://{tmp_path}"), FolderStore)
    assert open_store("s3://b/a/b", s3_endpoint=s3.endpoint).url == "s3://b/a/b/"
    with pytest.raises(StorageError, match="unsupported store"):
        open_store("gs://bucket/x")
    with pytest.raises(StorageError, match="no bucket"):
        open_store("s3:///x")
    with pytest.raises(StorageError, match="--s3-endpoint applies to s3:// stores only"):
        open_store(str(tmp_path), s3_endpoint=s3.endpoint)


def test_list_choose_and_open_from_the_bucket(tmp_path: Path, s3: S3Server) -> None:
    store = _store(s3)
    chain = _chain(3)
    for v, (blob, _) in enumerate(chain, start=1):
        create_from(store, f"app-{v}.kcd", io.BytesIO(blob))
    client = store.client
    client.put_object(Bucket=store.bucket, Key="dumps/notes.txt", Body=b"not a dump")
    client.put_object(Bucket=store.bucket, Key="dumps/.hidden", Body=chain[0][0])
    client.put_object(Bucket=store.bucket, Key="dumps/deeper/app-9.kcd", Body=chain[0][0])
    client.put_object(Bucket=store.bucket, Key="elsewhere.kcd", Body=chain[0][0])
    assert [e.name for e in store.entries()] == ["app-1.kcd", "app-2.kcd", "app-3.kcd"]
    selection = choose_newest(store, "app")
    assert selection.newest is not None and selection.newest.name == "app-3.kcd"
    assert [c.version for c in selection.chain] == [1, 2, 3] and not selection.skipped
    with store.open_entry("app-3.kcd") as f:
        opened = open_dump(f, tmp_path / "out", COUNCIL.keys)
    assert (tmp_path / "out").read_bytes() == chain[2][1] and opened.header.dump_version == 3


def test_an_existing_object_is_never_overwritten(s3: S3Server) -> None:
    store = _store(s3)
    (first, _), (second, _) = _chain(2)
    create_from(store, "app-1.kcd", io.BytesIO(first))
    with pytest.raises(DumpExists, match=r"s3://kc-\w+/dumps/app-1.kcd: already exists; refusing to overwrite"):
        create_from(store, "app-1.kcd", io.BytesIO(second))
    body = store.client.get_object(Bucket=store.bucket, Key="dumps/app-1.kcd")["Body"].read()
    assert body == first


def test_the_condition_holds_when_the_object_appears_during_a_multipart_upload(s3: S3Server) -> None:
    """Past the HEAD pre-check: CompleteMultipartUpload with If-None-Match: * is refused by S3."""
    store = _store(s3)
    key, where = "dumps/race.kcd", store.describe("race.kcd")
    writer = MultipartWriter(store.client, store.bucket, key, where, part_size=MIN_PART_SIZE)
    writer.write(os.urandom(MIN_PART_SIZE + 10))
    store.client.put_object(Bucket=store.bucket, Key=key, Body=b"KCDUMP the other publisher")
    with pytest.raises(DumpExists, match=r"race.kcd: already exists; refusing to overwrite "
                                         r"\(CompleteMultipartUpload with If-None-Match: \*; "
                                         r"S3 answered 412 PreconditionFailed"):
        writer.finish()
    writer.abort()
    writer.close()
    body = store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read()
    assert body == b"KCDUMP the other publisher"
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    assert uploads == []


def test_a_failed_write_leaves_nothing(s3: S3Server) -> None:
    store = _store(s3)
    with pytest.raises(RuntimeError), store.new_dump("half.kcd") as sink:
        sink.write(os.urandom(MIN_PART_SIZE * 2 + 1))
        raise RuntimeError("the sealer crashed")
    assert store.stat("half.kcd") is None
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def _damaged(blob: bytes) -> dict[str, bytes]:
    r = regions(blob)
    chunk = r.chunk(1)[0] + 3
    return {
        "truncated.kcd": blob[:r.trailer_start - 5],
        "chunk-flipped.kcd": blob[:chunk] + bytes([blob[chunk] ^ 1]) + blob[chunk + 1:],
        "header-flipped.kcd": blob[:r.header_start + 9] + bytes([blob[r.header_start + 9] ^ 1])
        + blob[r.header_start + 10:],
        "chunk-dropped.kcd": blob[:r.chunk(1)[0]] + blob[r.chunk(2)[0]:],
        "trailing.kcd": blob + b"extra",
    }


def test_damaged_objects_are_refused_like_damaged_files(tmp_path: Path, s3: S3Server) -> None:
    store, folder = _store(s3), FolderStore(tmp_path)
    (blob, _), = _chain(1)
    for name, bad in _damaged(blob).items():
        store.client.put_object(Bucket=store.bucket, Key=f"dumps/{name}", Body=bad)
        (tmp_path / name).write_bytes(bad)
    from_s3 = {s.name: s.reason for s in choose_newest(store, "app").skipped}
    from_folder = {s.name: s.reason for s in choose_newest(folder, "app").skipped}
    assert from_s3 == from_folder and set(from_s3) == set(_damaged(blob))
    for name in from_s3:
        with store.open_entry(name) as f:
            with pytest.raises(KeycouncilError) as s3_error:
                verify_dump(f)
        with pytest.raises(KeycouncilError) as file_error:
            verify_dump(tmp_path / name)
        assert type(s3_error.value) is type(file_error.value), name
        assert str(s3_error.value) == str(file_error.value), name
    with store.open_entry("chunk-flipped.kcd") as f, pytest.raises(ChunkAuthenticationFailed):
        open_dump(f, tmp_path / "never", COUNCIL.keys)
    with pytest.raises(ChunkAuthenticationFailed):
        open_dump(tmp_path / "chunk-flipped.kcd", tmp_path / "never", COUNCIL.keys)
    assert not (tmp_path / "never").exists()


def test_publish_refuses_a_damaged_file_and_uploads_nothing(tmp_path: Path, s3: S3Server) -> None:
    store = _store(s3)
    (blob, _), = _chain(1, size=20_000)
    for name, bad in _damaged(blob).items():
        (tmp_path / name).write_bytes(bad)
        with pytest.raises(KeycouncilError):
            publish_file(store, tmp_path / name)
        assert store.stat(name) is None, name
    (tmp_path / "good.kcd").write_bytes(blob)
    published = publish_file(store, tmp_path / "good.kcd")
    assert published.location == store.describe("good.kcd") and store.stat("good.kcd") is not None


def test_an_object_replaced_while_read_is_refused(s3: S3Server) -> None:
    store = _store(s3)
    (blob, _), = _chain(1, size=600_000)
    create_from(store, "app-1.kcd", io.BytesIO(blob))
    with store.open_entry("app-1.kcd") as f:
        assert f.read(7) == blob[:7] == b"KCDUMP\x02"  # new dumps are format version 2
        store.client.put_object(Bucket=store.bucket, Key="dumps/app-1.kcd", Body=blob[:-1] + b"x")
        f.seek(400_000)
        with pytest.raises(ObjectChanged, match=r"app-1.kcd: the object changed while being read "
                                                r"\(GetObject \(ranged\); S3 answered 412"):
            f.read(10)


def test_errors_name_bucket_key_and_answer_never_credentials(tmp_path: Path, s3: S3Server) -> None:
    missing = open_store("s3://no-such-bucket-kc/dumps", s3_endpoint=s3.endpoint)
    with pytest.raises(StorageError) as listing:
        missing.entries()
    assert str(listing.value) == ("s3://no-such-bucket-kc/dumps/: ListObjectsV2 failed: S3 answered "
                                  "404 NoSuchBucket: The specified bucket does not exist")
    (blob, _), = _chain(1)
    with pytest.raises(StorageError) as put:
        create_from(missing, "app-1.kcd", io.BytesIO(blob))
    assert "s3://no-such-bucket-kc/dumps/app-1.kcd: " in str(put.value)
    import boto3
    from botocore.config import Config

    no_retry = boto3.client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                            config=Config(retries={"total_max_attempts": 1}))
    unreachable = open_store("s3://b/p", client=no_retry)
    with pytest.raises(StorageError, match=r"s3://b/p/: ListObjectsV2 failed: EndpointConnectionError: "
                                           r"Could not connect to the endpoint URL"):
        unreachable.entries()
    for error in (listing.value, put.value):
        assert ACCESS_KEY not in str(error) and SECRET_KEY not in str(error)


def test_the_endpoint_may_come_from_the_standard_environment(s3: S3Server,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(s3)
    (blob, _), = _chain(1)
    create_from(store, "app-1.kcd", io.BytesIO(blob))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.endpoint)
    from_env = open_store(store.url)
    assert [e.name for e in from_env.entries()] == ["app-1.kcd"]
