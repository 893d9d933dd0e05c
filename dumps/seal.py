"""Sealing a dump: docs/dump-format.md, "Sealing", steps (1)-(10).

`seal_stream` writes a dump to any binary sink (tests, vectors, pipes); `seal_dump` writes a file
atomically (temp file in the destination folder, fsync, published only when complete, never over
an existing file). Randomness (`rng`, for the KEM) and the clock (`now_ms`) are injectable.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from council.crypto import kem
from council.crypto.group import RandomSource
from dumps.atomic import atomic_output, ensure_absent
from dumps.format import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_FORMAT_VERSION,
    FORMAT_V1,
    HEADER_LENGTH_LEN,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    PREFIX_LEN,
    SIGNATURE_LEN,
    SUPPORTED_VERSIONS,
    Trailer,
    chunk_area_length,
    encode_header_length,
    header_signed_message,
    prefix_for,
)
from dumps.format_v2 import TrailerV2
from dumps.header import DumpHeader, kem_label
from dumps.header_codec import encode_header
from dumps.sealer import SealingIdentity
from dumps.stream import Progress, StreamSummary, encrypt_stream
from dumps.target import SealTarget
from dumps.trailers import AnyTrailer, trailer_length


@dataclass(frozen=True, slots=True)
class SealedDump:
    """What sealing produced: the header, the trailer, and the dump's digest."""

    header: DumpHeader
    trailer: AnyTrailer
    size: int

    @property
    def digest(self) -> bytes:
        """The dump digest: the `previous_digest` of the next dump of this app."""
        return self.trailer.dump_digest()


def seal_stream(source: BinaryIO, sink: BinaryIO, *, target: SealTarget, sealer: SealingIdentity,
                app_id: str, dump_version: int, previous_digest: bytes | None = None,
                chunk_size: int = DEFAULT_CHUNK_SIZE, rng: RandomSource | None = None,
                now_ms: int | None = None, progress: Progress | None = None,
                format_version: int = DEFAULT_FORMAT_VERSION) -> SealedDump:
    """Seal everything `source` yields into `sink` as one dump (format version 2 unless asked).

    `previous_digest` is the digest of the dump this one follows (`SealedDump.digest` of version
    N-1). It may be left out only for version 1; `b""` starts a new chain on purpose. To have the
    chain kept for you (found in the store after a restart), use `dumps.app.Publisher`."""
    if format_version not in SUPPORTED_VERSIONS:
        raise ValueError(f"format_version must be one of {SUPPORTED_VERSIONS}")
    previous_digest = _previous(dump_version, previous_digest)
    label = kem_label(format_version, app_id, dump_version, target.key_id, target.epoch,  # (2)
                      sealer.public_key, previous_digest, chunk_size)
    kem_ct, data_key = kem.encapsulate(target.public_key, label, rng)                    # (3)
    header = DumpHeader(                                                                  # (4)
        app_id=app_id, dump_version=dump_version, previous_digest=previous_digest,
        created_unix_ms=int(time.time() * 1000) if now_ms is None else now_ms,
        key_id=target.key_id, epoch=target.epoch, kem_ciphertext=kem_ct.to_bytes(),
        chunk_size=chunk_size, sealer_public_key=sealer.public_key, evidence=sealer.evidence,
        roster_digest=target.roster_digest, format_version=format_version)
    header_bytes = encode_header(header)
    header_sig = sealer.sign(header_signed_message(header_bytes, format_version))        # (5)
    prefix = prefix_for(format_version)
    sink.write(prefix + encode_header_length(len(header_bytes)) + header_bytes + header_sig)  # (6)
    header_sha256 = hashlib.sha256(header_bytes).digest()
    summary = encrypt_stream(source, sink, data_key, header_sha256, chunk_size, progress,  # (7)-(8)
                             format_version)
    trailer = _signed_trailer(format_version, header_sha256, summary, sealer)            # (9)
    sink.write(trailer.to_bytes())                                                       # (10)
    size = (PREFIX_LEN + HEADER_LENGTH_LEN + len(header_bytes) + SIGNATURE_LEN + trailer_length(format_version)
            + chunk_area_length(summary.plaintext_length, chunk_size))
    return SealedDump(header, trailer, size)


def _signed_trailer(version: int, header_sha256: bytes, summary: StreamSummary,
                    sealer: SealingIdentity) -> AnyTrailer:
    """Step (9): the trailer body of this version, signed by the sealer."""
    if version == FORMAT_V1:
        if summary.plaintext_sha256 is None:
            raise ValueError("a version 1 trailer needs the plaintext digest")
        unsigned_v1 = Trailer(header_sha256, summary.chunks_digest, summary.plaintext_length,
                              summary.plaintext_sha256, bytes(SIGNATURE_LEN))
        return Trailer(header_sha256, summary.chunks_digest, summary.plaintext_length,
                       summary.plaintext_sha256, sealer.sign(unsigned_v1.signed_message()))
    unsigned = TrailerV2(header_sha256, summary.chunks_digest, summary.plaintext_length, bytes(SIGNATURE_LEN))
    return TrailerV2(header_sha256, summary.chunks_digest, summary.plaintext_length,
                     sealer.sign(unsigned.signed_message()))


def seal_dump(source: Path | BinaryIO, out: Path, *, target: SealTarget, sealer: SealingIdentity,
              app_id: str, dump_version: int, previous_digest: bytes | None = None,
              chunk_size: int = DEFAULT_CHUNK_SIZE, rng: RandomSource | None = None,
              now_ms: int | None = None, progress: Progress | None = None,
              format_version: int = DEFAULT_FORMAT_VERSION) -> SealedDump:
    """Seal `source` (a path or a binary stream) into a new file `out`, atomically
    (`previous_digest` as for `seal_stream`: required above version 1)."""
    ensure_absent(out)
    previous_digest = _previous(dump_version, previous_digest)
    options = dict(target=target, sealer=sealer, app_id=app_id, dump_version=dump_version,
                   previous_digest=previous_digest, chunk_size=chunk_size, rng=rng,
                   now_ms=now_ms, progress=progress, format_version=format_version)
    _check_arguments(app_id, dump_version, previous_digest, chunk_size)                  # (1)
    with atomic_output(out, 0o644) as sink:
        if isinstance(source, Path):
            with open(source, "rb", buffering=0) as src:  # raw reads straight into the chunk buffer
                return seal_stream(src, sink, **options)  # type: ignore[arg-type]
        return seal_stream(source, sink, **options)  # type: ignore[arg-type]


def _previous(dump_version: int, previous_digest: bytes | None) -> bytes:
    """No silent new chain: leaving `previous_digest` out is allowed for version 1 only."""
    if previous_digest is not None:
        return previous_digest
    if dump_version > 1:
        raise ValueError(f"dump_version {dump_version} needs previous_digest (the digest of the dump it "
                         "follows; b'' starts a new chain on purpose): without it readers skip this "
                         "dump as 'chain broken'. dumps.app.Publisher finds it in the store")
    return b""


def _check_arguments(app_id: str, dump_version: int, previous_digest: bytes, chunk_size: int) -> None:
    """Step (1): fail before creating any file (the header re-checks every rule)."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size {chunk_size} outside {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    if dump_version < 1 or len(previous_digest) not in (0, 32) or not app_id:
        raise ValueError("dump_version must be >= 1, previous_digest empty or 32 bytes, app_id set")
