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
    FORMAT_VERSION,
    HEADER_LENGTH_LEN,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    PREFIX,
    PREFIX_LEN,
    SIGNATURE_LEN,
    TRAILER_DOMAIN,
    TRAILER_LEN,
    Trailer,
    chunk_area_length,
    encode_header_length,
    header_signed_message,
    trailer_body,
)
from dumps.header import DumpHeader, kem_label
from dumps.header_codec import encode_header
from dumps.sealer import SealingIdentity
from dumps.stream import Progress, encrypt_stream
from dumps.target import SealTarget

INPUT_BLOCK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SealedDump:
    """What sealing produced: the header, the trailer, and the dump's digest."""

    header: DumpHeader
    trailer: Trailer
    size: int

    @property
    def digest(self) -> bytes:
        """The dump digest: the `previous_digest` of the next dump of this app."""
        return self.trailer.dump_digest()


def seal_stream(source: BinaryIO, sink: BinaryIO, *, target: SealTarget, sealer: SealingIdentity,
                app_id: str, dump_version: int, previous_digest: bytes | None = None,
                chunk_size: int = DEFAULT_CHUNK_SIZE, rng: RandomSource | None = None,
                now_ms: int | None = None, progress: Progress | None = None) -> SealedDump:
    """Seal everything `source` yields into `sink` as one dump.

    `previous_digest` is the digest of the dump this one follows (`SealedDump.digest` of version
    N-1). It may be left out only for version 1; `b""` starts a new chain on purpose. To have the
    chain kept for you (found in the store after a restart), use `dumps.app.Publisher`."""
    previous_digest = _previous(dump_version, previous_digest)
    label = kem_label(FORMAT_VERSION, app_id, dump_version, target.key_id, target.epoch,  # (2)
                      sealer.public_key, previous_digest, chunk_size)
    kem_ct, data_key = kem.encapsulate(target.public_key, label, rng)                    # (3)
    header = DumpHeader(                                                                  # (4)
        app_id=app_id, dump_version=dump_version, previous_digest=previous_digest,
        created_unix_ms=int(time.time() * 1000) if now_ms is None else now_ms,
        key_id=target.key_id, epoch=target.epoch, kem_ciphertext=kem_ct.to_bytes(),
        chunk_size=chunk_size, sealer_public_key=sealer.public_key, evidence=sealer.evidence,
        roster_digest=target.roster_digest)
    header_bytes = encode_header(header)
    header_sig = sealer.sign(header_signed_message(header_bytes))                        # (5)
    sink.write(PREFIX + encode_header_length(len(header_bytes)) + header_bytes + header_sig)  # (6)
    header_sha256 = hashlib.sha256(header_bytes).digest()
    summary = encrypt_stream(source, sink, data_key, header_sha256, chunk_size, progress)  # (7)-(8)
    body = trailer_body(header_sha256, summary.chunks_sha256, summary.plaintext_length,  # (9)
                        summary.plaintext_sha256)
    signature = sealer.sign(TRAILER_DOMAIN + PREFIX + body)
    trailer = Trailer(header_sha256, summary.chunks_sha256, summary.plaintext_length,
                      summary.plaintext_sha256, signature)
    sink.write(trailer.to_bytes())                                                       # (10)
    size = (PREFIX_LEN + HEADER_LENGTH_LEN + len(header_bytes) + SIGNATURE_LEN + TRAILER_LEN
            + chunk_area_length(summary.plaintext_length, chunk_size))
    return SealedDump(header, trailer, size)


def seal_dump(source: Path | BinaryIO, out: Path, *, target: SealTarget, sealer: SealingIdentity,
              app_id: str, dump_version: int, previous_digest: bytes | None = None,
              chunk_size: int = DEFAULT_CHUNK_SIZE, rng: RandomSource | None = None,
              now_ms: int | None = None, progress: Progress | None = None) -> SealedDump:
    """Seal `source` (a path or a binary stream) into a new file `out`, atomically
    (`previous_digest` as for `seal_stream`: required above version 1)."""
    ensure_absent(out)
    previous_digest = _previous(dump_version, previous_digest)
    options = dict(target=target, sealer=sealer, app_id=app_id, dump_version=dump_version,
                   previous_digest=previous_digest, chunk_size=chunk_size, rng=rng,
                   now_ms=now_ms, progress=progress)
    _check_arguments(app_id, dump_version, previous_digest, chunk_size)                  # (1)
    with atomic_output(out, 0o644) as sink:
        if isinstance(source, Path):
            with open(source, "rb", buffering=INPUT_BLOCK) as src:
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
