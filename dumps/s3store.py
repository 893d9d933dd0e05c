"""`S3Store`: dumps as objects under `s3://bucket/prefix/` of any S3-compatible service.

Implements docs/dump-format.md, "Stores", "S3-compatible stores". The same rules as a folder: an
object directly under the prefix (not under a deeper `/`, not named with a leading dot) whose first
6 bytes are `KCDUMP` is a dump, whatever its name. Reading streams ranged GETs; publishing is a
create-only multipart upload (`If-None-Match: *`), checked once more by a HEAD afterwards, so an
existing object is never overwritten and a store that ignores the condition is reported.
Credentials come from boto3's standard chain (environment, shared files, instance roles), never
from arguments of ours.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, BinaryIO, cast
from urllib.parse import urlparse

from council.errors import StorageError
from dumps.errors import DumpExists
from dumps.format import MAGIC
from dumps.s3errors import answer_of, s3_failure
from dumps.s3io import DEFAULT_PART_SIZE, MAX_PARTS, MultipartWriter, RangedReader
from dumps.store import StoreEntry

GCS_HOST = "storage.googleapis.com"
MIB = 1024 * 1024


def make_client(endpoint: str | None = None, region: str | None = None) -> Any:
    """A boto3 S3 client: standard credential chain, path-style addressing for a custom endpoint,
    checksums only where required (S3-compatible services differ on the newer defaults)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    custom = endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(retries={"mode": "standard", "max_attempts": 5},
                    s3={"addressing_style": "path" if custom else "auto"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required", max_pool_connections=4)
    client = session.client("s3", endpoint_url=endpoint, config=config,
                            region_name=region or session.region_name or "us-east-1")
    if custom and urlparse(custom).hostname == GCS_HOST:
        _create_only_on_gcs(client)
    return client


def _create_only_on_gcs(client: Any) -> None:
    """GCS's XML API spells create-only `x-goog-if-generation-match: 0`; send it as well."""
    def add(request: Any, **_: Any) -> None:
        request.headers["x-goog-if-generation-match"] = "0"
    for operation in ("PutObject", "CompleteMultipartUpload"):
        client.meta.events.register(f"before-sign.s3.{operation}", add)


class S3Store:
    """Dumps under one prefix of one bucket."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        if not bucket or "/" in bucket:
            raise StorageError(f"{bucket!r}: not a bucket name (expected s3://BUCKET/PREFIX)")
        prefix = prefix.lstrip("/")
        self.bucket, self.prefix, self.client = bucket, prefix + ("/" if prefix and not prefix.endswith("/") else ""), client
        self.url = f"s3://{bucket}/{self.prefix}"

    def __repr__(self) -> str:
        return f"S3Store({self.url!r})"

    def describe(self, name: str) -> str:
        return self.url + name

    def entries(self) -> list[StoreEntry]:
        found = [e for e in self._listed() if self._starts_with_magic(e.name)]
        return sorted(found, key=lambda e: e.name)

    def stat(self, name: str) -> StoreEntry | None:
        head = self._head(name)
        return None if head is None else StoreEntry(name, int(head["ContentLength"]))

    def open_entry(self, name: str) -> BinaryIO:
        head = self._head(name)
        if head is None:
            raise StorageError(f"{self.describe(name)}: no such object")
        reader = RangedReader(self.client, self.bucket, self._key(name), int(head["ContentLength"]),
                              str(head["ETag"]), self.describe(name))
        return cast(BinaryIO, reader)

    def new_dump(self, name: str, size_hint: int | None = None) -> AbstractContextManager[BinaryIO]:
        return self._writer(name, size_hint)

    @contextmanager
    def _writer(self, name: str, size_hint: int | None) -> Iterator[BinaryIO]:
        key, where = self._key(name), self.describe(name)
        if self._head(name) is not None:                       # fail before uploading anything
            raise DumpExists(f"{where}: already exists; refusing to overwrite")
        writer = MultipartWriter(self.client, self.bucket, key, where, part_size=_part_size(size_hint))
        try:
            yield cast(BinaryIO, writer)
            etag = writer.finish()
        except BaseException:
            writer.abort()
            raise
        finally:
            writer.close()
        self._check_created(name, etag, writer.written)

    def _check_created(self, name: str, etag: str, size: int) -> None:
        """The object now at the key must be ours: a store that ignored If-None-Match is named."""
        head = self._head(name)
        if head is None or int(head["ContentLength"]) != size or _etag(head["ETag"]) != _etag(etag):
            raise StorageError(f"{self.describe(name)}: after the create-only upload the object is not "
                               "the one written: this store does not honour If-None-Match: * and "
                               "another publisher replaced it")

    def _listed(self) -> Iterator[StoreEntry]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix, Delimiter="/")
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix):]
                    if name and not name.startswith(".") and int(item["Size"]) >= len(MAGIC):
                        yield StoreEntry(name, int(item["Size"]))
        except Exception as exc:
            raise s3_failure(exc, self.url, "ListObjectsV2") from None

    def _starts_with_magic(self, name: str) -> bool:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name),
                                            Range=f"bytes=0-{len(MAGIC) - 1}")
            with answer["Body"] as body:
                return bool(body.read() == MAGIC)
        except Exception as exc:
            status, _, _ = answer_of(exc)
            if status in (404, 416):   # removed since listed, or empty
                return False
            raise s3_failure(exc, self.describe(name), "GetObject (magic)") from None

    def _head(self, name: str) -> dict[str, Any] | None:
        try:
            return cast(dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=self._key(name)))
        except Exception as exc:
            status, code, _ = answer_of(exc)
            if status == 404 or code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise s3_failure(exc, self.describe(name), "HeadObject") from None

    def _key(self, name: str) -> str:
        if not name or "/" in name or name.startswith("."):
            raise StorageError(f"{name!r}: not a valid dump name in an S3 store (no '/', no leading dot)")
        return self.prefix + name


def _part_size(size_hint: int | None) -> int:
    """8 MiB parts, larger when a known size would need more than S3's 10,000 parts."""
    if size_hint is None:
        return DEFAULT_PART_SIZE
    needed = -(-size_hint // (MAX_PARTS - 1))
    return max(DEFAULT_PART_SIZE, -(-needed // MIB) * MIB)


def _etag(value: object) -> str:
    return str(value).strip('"')
