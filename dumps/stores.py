"""`open_store`: a dump store from its URL, the one place that turns `--store` into a store.

    s3://BUCKET[/PREFIX]   an S3-compatible bucket (AWS S3, R2, GCS's XML API, MinIO, Ceph RGW),
                           endpoint from `s3_endpoint` (or AWS_ENDPOINT_URL[_S3]), credentials
                           from boto3's standard chain
    file://DIR, DIR        a folder of dump files
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from council.errors import StorageError
from dumps.store import DumpStore, FolderStore


def open_store(url: str | Path, *, s3_endpoint: str | None = None, region: str | None = None,
               client: Any = None) -> DumpStore:
    """The store named by `url`; `client` (a boto3 S3 client) overrides endpoint and region."""
    if isinstance(url, Path):
        return _folder(url, s3_endpoint)
    if url.startswith("s3://"):
        from dumps.s3store import S3Store, make_client

        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise StorageError(f"{url}: no bucket (expected s3://BUCKET/PREFIX)")
        return S3Store(bucket, prefix, client or make_client(s3_endpoint, region))
    if url.startswith("file://"):
        parsed = urlparse(url)
        host = "" if parsed.netloc in ("", "localhost") else parsed.netloc
        return _folder(Path(unquote(host + parsed.path)), s3_endpoint)
    if "://" in url:
        raise StorageError(f"{url}: unsupported store (expected s3://BUCKET/PREFIX, file://DIR or DIR)")
    return _folder(Path(url), s3_endpoint)


def is_s3(url: str | Path) -> bool:
    """True for an s3:// store URL."""
    return isinstance(url, str) and url.startswith("s3://")


def _folder(path: Path, s3_endpoint: str | None) -> FolderStore:
    if s3_endpoint is not None:
        raise StorageError(f"{path}: --s3-endpoint applies to s3:// stores only")
    return FolderStore(path)
