"""Streaming I/O on one S3 object with bounded memory: a seekable reader made of ranged GETs, and a
create-only writer made of a multipart upload (docs/dump-format.md, "Stores", "S3-compatible").

`RangedReader` reads with `Range` GETs pinned to the ETag seen when it was opened (`If-Match`), so
an object replaced while it is read fails instead of mixing two objects. After a seek, the first GET
is bounded (headers and trailers are small); a read that continues where a range ended streams the
rest of the object in one GET. `MultipartWriter` holds at most four parts (one filling, three
uploading) and completes with `If-None-Match: *`, so an existing object is never overwritten.
"""

from __future__ import annotations

import io
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from council.errors import StorageError
from dumps.s3errors import s3_failure

FIRST_RANGE: Final = 256 * 1024
DEFAULT_PART_SIZE: Final = 8 * 1024 * 1024
MIN_PART_SIZE: Final = 5 * 1024 * 1024
MAX_PARTS: Final = 10_000
IN_FLIGHT: Final = 3


class RangedReader(io.RawIOBase):
    """A read-only, seekable view of `s3://bucket/key` of a known size and ETag."""

    def __init__(self, client: Any, bucket: str, key: str, size: int, etag: str, where: str) -> None:
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self.size, self._etag, self._where = size, etag, where
        self._pos = 0
        self._body: Any = None
        self._body_pos = self._body_end = self._last_end = -1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf).cast("B")
        n = min(len(view), self.size - self._pos)
        if n <= 0:
            return 0
        if self._body is None or self._body_pos != self._pos or self._pos >= self._body_end:
            self._open_range(n)
        data = self._body.read(min(n, self._body_end - self._pos))
        if not data:
            raise StorageError(f"{self._where}: the object ended at byte {self._pos} of {self.size} "
                               "(it changed while being read?)")
        view[:len(data)] = data
        self._pos += len(data)
        self._body_pos += len(data)
        return len(data)

    def close(self) -> None:
        self._drop_body()
        super().close()

    def _open_range(self, n: int) -> None:
        """A GET from the current position: to the end when continuing a range, else bounded."""
        self._drop_body()
        continuing = self._pos == self._last_end
        end = self.size if continuing else min(self.size, self._pos + max(n, FIRST_RANGE))
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key, IfMatch=self._etag,
                                              Range=f"bytes={self._pos}-{end - 1}")
        except Exception as exc:
            raise s3_failure(exc, self._where, "GetObject (ranged)", changed_on_412=True) from None
        self._body, self._body_pos, self._body_end, self._last_end = answer["Body"], self._pos, end, end

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


class MultipartWriter(io.RawIOBase):
    """Write-only, create-only: parts of `part_size` bytes go up (`in_flight` at a time) while the
    next one fills, so memory is (in_flight + 1) part buffers; `finish` completes the upload
    conditionally (or does one conditional PutObject for a small object)."""

    def __init__(self, client: Any, bucket: str, key: str, where: str, *,
                 part_size: int = DEFAULT_PART_SIZE, in_flight: int = IN_FLIGHT) -> None:
        super().__init__()
        if part_size < MIN_PART_SIZE or in_flight < 1:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum), "
                             "in_flight at least 1")
        self._client, self._bucket, self._key, self._where = client, bucket, key, where
        self._part_size, self._in_flight = part_size, in_flight
        self._free: list[bytearray] = []        # buffers back from finished uploads
        self._buf, self._filled = bytearray(part_size), 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future[None], bytes | bytearray]] = deque()
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            take = min(len(view) - done, self._part_size - self._filled)
            self._buf[self._filled:self._filled + take] = view[done:done + take]
            self._filled += take
            done += take
            if self._filled == self._part_size:
                self._send_part(self._buf)
        self.written += done
        return done

    def finish(self) -> str:
        """Upload what is left and create the object only if it does not exist; return its ETag."""
        if self._upload_id is None:
            return self._put_small(bytes(self._buf[:self._filled]))
        self._send_part(bytes(self._buf[:self._filled]))
        self._wait_pending()
        try:
            answer = self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, IfNoneMatch="*",
                MultipartUpload={"Parts": self._parts})
        except Exception as exc:
            raise s3_failure(exc, self._where, "CompleteMultipartUpload", create=True) from None
        self._upload_id = None
        return str(answer.get("ETag", ""))

    def abort(self) -> None:
        """Give up: wait for the part in flight, then abort the multipart upload (nothing appears)."""
        try:
            self._wait_pending()
        except StorageError:
            pass
        if self._upload_id is not None:
            try:
                self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key,
                                                    UploadId=self._upload_id)
            except Exception:  # noqa: BLE001 - best effort; the caller reports the first failure
                pass
            self._upload_id = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        super().close()

    def _put_small(self, data: bytes) -> str:
        try:
            answer = self._client.put_object(Bucket=self._bucket, Key=self._key, Body=data,
                                             IfNoneMatch="*")
        except Exception as exc:
            raise s3_failure(exc, self._where, "PutObject", create=True) from None
        return str(answer.get("ETag", ""))

    def _send_part(self, part: bytes | bytearray) -> None:
        """Upload `part` (the full filling buffer, or the last bytes) in the background, waiting
        for the oldest upload when `in_flight` are running; fill a free buffer meanwhile."""
        if self._upload_id is None:
            self._start()
        while len(self._pending) >= self._in_flight:
            self._wait_oldest()
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise StorageError(f"{self._where}: more than {MAX_PARTS} parts of {self._part_size} "
                               "bytes; use a larger part size")
        self._parts.append({"PartNumber": number, "ETag": ""})
        assert self._pool is not None
        self._pending.append((self._pool.submit(self._upload_part, number, part), part))
        self._buf = self._free.pop() if self._free else bytearray(self._part_size)
        self._filled = 0

    def _upload_part(self, number: int, part: bytes | bytearray) -> None:
        try:
            answer = self._client.upload_part(Bucket=self._bucket, Key=self._key, Body=part,
                                              UploadId=self._upload_id, PartNumber=number)
        except Exception as exc:
            raise s3_failure(exc, self._where, f"UploadPart {number}") from None
        self._parts[number - 1]["ETag"] = answer["ETag"]

    def _wait_oldest(self) -> None:
        future, part = self._pending.popleft()
        future.result()
        if isinstance(part, bytearray):
            self._free.append(part)

    def _wait_pending(self) -> None:
        """Wait for every upload in flight (the first failure is raised, after all are done)."""
        failure: BaseException | None = None
        while self._pending:
            try:
                self._wait_oldest()
            except BaseException as exc:  # noqa: BLE001 - keep waiting, then raise the first
                failure = failure or exc
        if failure is not None:
            raise failure

    def _start(self) -> None:
        try:
            answer = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
        except Exception as exc:
            raise s3_failure(exc, self._where, "CreateMultipartUpload") from None
        self._upload_id = answer["UploadId"]
        self._pool = ThreadPoolExecutor(self._in_flight, thread_name_prefix="s3-part")
