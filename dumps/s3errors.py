"""What an S3 call's failure means, as one keycouncil error naming the object and what S3 answered.

Messages carry the `s3://bucket/key`, the operation, the HTTP status, S3's error code and message,
never credentials: only the `Code` and `Message` of the answer are used (S3's error XML may also
echo the access key id and the string to sign; those are left out), and botocore's own messages
(no credentials found, endpoint unreachable) name no secret.
"""

from __future__ import annotations

from council.errors import StorageError
from dumps.errors import DumpExists

MAX_MESSAGE = 300


class ObjectChanged(StorageError):
    """The object was replaced or removed while it was being read (its ETag no longer matches)."""


def answer_of(exc: Exception) -> tuple[int | None, str, str]:
    """(HTTP status, error code, error message) of a botocore ClientError; (None, '', '') else."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None, "", ""
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    code = str(error.get("Code") or "")
    message = " ".join(str(error.get("Message") or "").split())[:MAX_MESSAGE]
    return status if isinstance(status, int) else None, code, message


def describe_answer(exc: Exception) -> str:
    """'S3 answered 412 PreconditionFailed: At least one of …', or the client-side failure."""
    status, code, message = answer_of(exc)
    if status is None and not code:
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:MAX_MESSAGE]}"
    text = f"S3 answered {status or '?'} {code or '(no code)'}"
    return text + (f": {message}" if message else "")


def s3_failure(exc: Exception, where: str, operation: str, *, create: bool = False,
               changed_on_412: bool = False) -> StorageError:
    """The keycouncil error for a failed S3 call on `where` (an s3:// URL)."""
    if isinstance(exc, StorageError):
        return exc
    status, code, _ = answer_of(exc)
    said = describe_answer(exc)
    if create and (status == 412 or code == "PreconditionFailed"):
        return DumpExists(f"{where}: already exists; refusing to overwrite ({operation} with "
                          f"If-None-Match: *; {said})")
    if create and (status == 409 or code == "ConditionalRequestConflict"):
        return DumpExists(f"{where}: another publisher is creating this object at the same time; "
                          f"refusing to overwrite ({operation}; {said})")
    if changed_on_412 and (status == 412 or code == "PreconditionFailed"):
        return ObjectChanged(f"{where}: the object changed while being read ({operation}; {said})")
    return StorageError(f"{where}: {operation} failed: {said}")
