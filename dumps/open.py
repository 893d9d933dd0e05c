"""Opening a dump: docs/dump-format.md, "Opening", steps (1)-(14).

The data key comes from a `KeyProvider` (threshold decryption in recovery; `key_from_secret` for
tests and break-glass). Output goes to a 0600 temporary file in the destination folder and is
published only after the last check; on any failure nothing is left at the destination.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from council.crypto import kem
from council.crypto.group import Point, Scalar
from council.crypto.kem import KemCiphertext
from dumps.atomic import atomic_output, ensure_absent
from dumps.errors import ContentMismatch, KeyProviderError, LengthMismatch
from dumps.evidence import EvidenceChecker
from dumps.format import Trailer
from dumps.header import DumpHeader
from dumps.reader import open_regular
from dumps.stream import Progress, StreamSummary, decrypt_stream
from dumps.verify import AuthenticDump, authenticate, check_layout

KeyProvider = Callable[[DumpHeader, KemCiphertext, bytes], bytes]
"""`provider(header, kem_ciphertext, label) -> 32-byte data key`; raise a KeycouncilError to refuse."""
INPUT_BLOCK = 64 * 1024  # below the chunk size: records are read straight into our buffer


@dataclass(frozen=True, slots=True)
class OpenedDump:
    """An opened dump: its authenticated header and trailer, and where the plaintext went."""

    dump: AuthenticDump
    path: Path

    @property
    def header(self) -> DumpHeader:
        return self.dump.header

    @property
    def plaintext_length(self) -> int:
        return self.dump.trailer.plaintext_length


def key_from_secret(secret: Scalar, public_key: Point) -> KeyProvider:
    """A KeyProvider holding the whole council secret (tests, or a key rebuilt offline)."""
    def provide(header: DumpHeader, ciphertext: KemCiphertext, label: bytes) -> bytes:
        return kem.decapsulate(ciphertext, label, secret, public_key)
    return provide


def open_dump(source: Path | BinaryIO, out: Path, key_provider: KeyProvider,
              evidence_checker: EvidenceChecker | None = None,
              progress: Progress | None = None) -> OpenedDump:
    """Authenticate, decrypt and check a dump (a file, or a seekable stream such as a store
    entry); publish the plaintext at `out` (0600)."""
    ensure_absent(out)
    if isinstance(source, Path):
        with open_regular(source, buffering=INPUT_BLOCK) as f:
            return open_dump(f, out, key_provider, evidence_checker, progress)
    f = source
    dump = authenticate(f, evidence_checker)                                   # (1)-(9)
    check_layout(dump)                                                         # (10)
    data_key = _data_key(key_provider, dump.header)                            # (11)
    f.seek(dump.body_start)
    with atomic_output(out, 0o600) as sink:                                    # (12)
        summary = decrypt_stream(f, sink, data_key, dump.trailer.header_sha256,
                                 dump.header.chunk_size, dump.area_length, progress, dump.version)
        _check_summary(summary, dump)                                          # (13)
    return OpenedDump(dump, out)                                               # (14)


def _data_key(provider: KeyProvider, header: DumpHeader) -> bytes:
    key = provider(header, header.kem(), header.label())
    if not isinstance(key, bytes | bytearray) or len(key) != kem.DATA_KEY_LEN:
        raise KeyProviderError(f"the key provider must return {kem.DATA_KEY_LEN} bytes")
    return bytes(key)


def _check_summary(summary: StreamSummary, dump: AuthenticDump) -> None:
    """Step (13): what was decrypted is what the sealer signed. Version 2 signs no plaintext
    digest: the authenticated chunks under this dump's key determine the plaintext."""
    trailer = dump.trailer
    if summary.plaintext_length != trailer.plaintext_length:
        raise LengthMismatch(f"decrypted {summary.plaintext_length} bytes, the trailer signs "
                             f"{trailer.plaintext_length}")
    if not hmac.compare_digest(summary.chunks_digest, trailer.chunks_digest):
        raise ContentMismatch(f"the chunks' {trailer.hash_name} does not match the signed chunks digest")
    if isinstance(trailer, Trailer):
        if summary.plaintext_sha256 is None or not hmac.compare_digest(summary.plaintext_sha256,
                                                                       trailer.plaintext_sha256):
            raise ContentMismatch("the plaintext's SHA-256 does not match the signed plaintext digest")
