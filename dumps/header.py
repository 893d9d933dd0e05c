"""The dump header as a validated value, and the KEM label derived from it.

Implements docs/dump-format.md, "Header fields" and "KEM label". A `DumpHeader` that exists
obeys every field rule; parsing untrusted bytes goes through `dumps.header_codec`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from council.crypto.hashing import encode_parts
from council.crypto.kem import KEM_CIPHERTEXT_LEN, KemCiphertext
from council.crypto.keyid import KEY_ID_RULE, is_valid_key_id
from council.errors import DecodeError
from dumps.errors import HeaderInvalid, UnsupportedVersion
from dumps.format import (
    DEFAULT_FORMAT_VERSION,
    DIGEST_LEN,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    SUPPORTED_VERSIONS,
)

LABEL_DOMAIN: Final = b"KEYCOUNCIL-V1-DUMP-LABEL"
MAX_EVIDENCE_LEN: Final = 64 * 1024
ED25519_PUBLIC_LEN: Final = 32
_APP_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_EVIDENCE_TYPE = re.compile(r"[a-z0-9-]{1,32}")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Attestation evidence: a type name and opaque bytes binding the sealer key to a TEE."""

    type: str
    data: bytes

    def __post_init__(self) -> None:
        if not _EVIDENCE_TYPE.fullmatch(self.type):
            raise HeaderInvalid("evidence.type: must be 1..32 characters of [a-z0-9-]")
        if len(self.data) > MAX_EVIDENCE_LEN:
            raise HeaderInvalid(f"evidence.data: {len(self.data)} bytes, at most {MAX_EVIDENCE_LEN}")


@dataclass(frozen=True, slots=True)
class DumpHeader:
    """Every field of the header (docs/dump-format.md, "Header fields"), validated when built."""

    app_id: str
    dump_version: int
    previous_digest: bytes
    created_unix_ms: int
    key_id: str
    epoch: int
    kem_ciphertext: bytes
    chunk_size: int
    sealer_public_key: bytes
    evidence: Evidence
    roster_digest: bytes
    format_version: int = DEFAULT_FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.format_version not in SUPPORTED_VERSIONS:
            raise UnsupportedVersion(f"header format_version {self.format_version} is not supported")
        _check(_APP_ID.fullmatch(self.app_id) is not None,
               "app_id: must be 1..128 characters of [A-Za-z0-9._-]")
        _check(1 <= self.dump_version < 2**64, "dump_version: must be at least 1")
        _check(len(self.previous_digest) in (0, DIGEST_LEN),
               f"previous_digest: must be empty or {DIGEST_LEN} bytes")
        _check(0 <= self.created_unix_ms < 2**64, "created_unix_ms: must fit in uint64")
        _check(is_valid_key_id(self.key_id), f"key_id: must be {KEY_ID_RULE}")
        _check(0 <= self.epoch < 2**64, "epoch: must fit in uint64")
        _check(MIN_CHUNK_SIZE <= self.chunk_size <= MAX_CHUNK_SIZE,
               f"chunk_size: {self.chunk_size} outside {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
        _check(len(self.sealer_public_key) == ED25519_PUBLIC_LEN,
               f"sealer_public_key: must be {ED25519_PUBLIC_LEN} bytes (Ed25519)")
        _check(len(self.roster_digest) == DIGEST_LEN, f"roster_digest: must be {DIGEST_LEN} bytes")
        _check(len(self.kem_ciphertext) == KEM_CIPHERTEXT_LEN,
               f"kem_ciphertext: must be {KEM_CIPHERTEXT_LEN} bytes")
        self.kem()

    def kem(self) -> KemCiphertext:
        """The decoded KEM ciphertext (R and its proof)."""
        try:
            return _decoded_kem(bytes(self.kem_ciphertext))
        except DecodeError as exc:
            raise HeaderInvalid(str(exc)) from None

    def label(self) -> bytes:
        """The KEM label of this dump: see `kem_label`."""
        return kem_label(self.format_version, self.app_id, self.dump_version, self.key_id,
                         self.epoch, self.sealer_public_key, self.previous_digest, self.chunk_size)

    @property
    def is_first(self) -> bool:
        """True when this dump starts a chain (no previous digest)."""
        return not self.previous_digest


def kem_label(format_version: int, app_id: str, dump_version: int, key_id: str, epoch: int,
              sealer_public_key: bytes, previous_digest: bytes, chunk_size: int) -> bytes:
    """Canonical label: encode_parts(LABEL_DOMAIN, u32 fv, app_id, u64 dv, key_id, u64 epoch,
    sealer key, previous digest, u32 chunk size); each part has a 4-byte big-endian length."""
    return encode_parts(LABEL_DOMAIN, format_version.to_bytes(4, "big"), app_id.encode(),
                        dump_version.to_bytes(8, "big"), key_id.encode(), epoch.to_bytes(8, "big"),
                        sealer_public_key, previous_digest, chunk_size.to_bytes(4, "big"))


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise HeaderInvalid(f"header field {message}")


@lru_cache(maxsize=64)
def _decoded_kem(data: bytes) -> KemCiphertext:
    """Decoded once per exact bytes (R's decompression and check): a member releasing for one
    dump again and again, and the header's own check, decode the same ciphertext. Immutable;
    a refusal raises and is never kept."""
    return KemCiphertext.from_bytes(data, "header.kem_ciphertext")
