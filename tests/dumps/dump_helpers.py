"""Shared helpers for the dump tests: a council key with a real signed bundle, a sealer, and
functions to seal bytes and to cut a dump file into its regions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from council.bundle import KeyBundle
from council.crypto.drbg import seeded
from council.crypto.group import P256, Point, Scalar
from council.crypto.messages import CommitSignature, EpochCommit, sign
from council.crypto.signing import Signer
from council.roster import MemberCard, Roster
from dumps.format import DEFAULT_FORMAT_VERSION, PREFIX_LEN, SIGNATURE_LEN
from dumps.open import KeyProvider, key_from_secret
from dumps.seal import SealedDump, seal_stream
from dumps.sealer import SealingIdentity
from dumps.target import SealTarget
from dumps.trailers import trailer_length

CHUNK = 64
RECORD = CHUNK + 16


@dataclass(frozen=True)
class Council:
    """A council key whose secret the tests know, and its verified bundle."""

    secret: Scalar
    public_key: Point
    bundle: KeyBundle

    @property
    def target(self) -> SealTarget:
        return SealTarget.from_bundle(self.bundle)

    @property
    def keys(self) -> KeyProvider:
        return key_from_secret(self.secret, self.public_key)


def make_council(seed: bytes = b"dump-tests", n: int = 3, t: int = 2) -> Council:
    """Members sign an EpochCommit for Y = x·G directly (no DKG: the tests need x)."""
    rng = seeded(seed)
    x = Scalar.random(rng)
    y = P256.base_mul(x)
    signers = [Signer.from_seed(rng(32)) for _ in range(n)]
    cards = tuple(MemberCard(f"m{i + 1}", f"in-process:m{i + 1}", s.public_key,
                             P256.base_mul(Scalar.random(rng)).to_bytes(), "none")
                  for i, s in enumerate(signers))
    roster = Roster(t, cards)
    commit = EpochCommit("test-key", 1, roster.digest(), t, y, bytes(32), bytes(32))
    sigs = tuple(CommitSignature(i + 1, sign(s, EpochCommit.KIND, i + 1, commit.to_bytes()).signature)
                 for i, s in enumerate(signers[:t]))
    return Council(x, y, KeyBundle(commit, sigs, roster))


def make_sealer(seed: bytes = b"sealer") -> SealingIdentity:
    return SealingIdentity.simulated(Ed25519PrivateKey.from_private_bytes(seeded(seed)(32)))


def seal_bytes(council: Council, data: bytes, *, sealer: SealingIdentity | None = None,
               version: int = 1, previous: bytes = b"", app: str = "app",
               chunk_size: int = CHUNK, format_version: int = DEFAULT_FORMAT_VERSION) -> tuple[bytes, SealedDump]:
    sink = io.BytesIO()
    sealed = seal_stream(io.BytesIO(data), sink, target=council.target,
                         sealer=sealer or make_sealer(), app_id=app, dump_version=version,
                         previous_digest=previous, chunk_size=chunk_size, now_ms=1_700_000_000_000,
                         format_version=format_version)
    return sink.getvalue(), sealed


@dataclass(frozen=True)
class Regions:
    """Offsets of a dump's regions."""

    header_start: int
    header_end: int
    body_start: int
    trailer_start: int

    def chunk(self, i: int) -> tuple[int, int]:
        start = self.body_start + i * RECORD
        return start, min(start + RECORD, self.trailer_start)


def regions(blob: bytes) -> Regions:
    header_len = int.from_bytes(blob[PREFIX_LEN:PREFIX_LEN + 4], "big")
    header_start = PREFIX_LEN + 4
    header_end = header_start + header_len
    return Regions(header_start, header_end, header_end + SIGNATURE_LEN, len(blob) - trailer_length(blob[6]))


FORMATS = (1, 2)
"""Both format versions: the tamper suite and its friends run for each."""


def flip(blob: bytes, offset: int) -> bytes:
    return blob[:offset] + bytes([blob[offset] ^ 0x01]) + blob[offset + 1:]


def write(folder: Path, name: str, blob: bytes) -> Path:
    path = folder / name
    path.write_bytes(blob)
    return path
