"""What a dump is sealed to: the council's public key and its identifiers (from a key bundle).

`SealTarget.from_bundle` accepts only a bundle whose commit signatures verify against its roster
(docs/dump-format.md, sealing step (1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from council.crypto.group import Point


@dataclass(frozen=True, slots=True)
class SealTarget:
    """The council key a dump is sealed to."""

    public_key: Point
    key_id: str
    epoch: int
    roster_digest: bytes

    def __post_init__(self) -> None:
        if len(self.roster_digest) != 32:
            raise ValueError("roster_digest must be 32 bytes")
        if self.public_key.is_identity():
            raise ValueError("the council public key cannot be the identity")

    @classmethod
    def from_bundle(cls, bundle: object) -> SealTarget:
        """Verify a `council.bundle.KeyBundle` (t valid commit signatures) and take its key."""
        bundle.verify()  # type: ignore[attr-defined]
        return cls(_point(bundle.public_key), _key_id(bundle.key_id),  # type: ignore[attr-defined]
                   int(bundle.epoch), _digest(bundle.roster_digest))  # type: ignore[attr-defined]

    @classmethod
    def load_bundle(cls, path: Path) -> SealTarget:
        """Load a key bundle file (`KeyBundle.load`), verify it, and take its key."""
        from council.bundle import KeyBundle

        return cls.from_bundle(KeyBundle.load(path))


def _point(value: object) -> Point:
    return value if isinstance(value, Point) else Point.from_bytes(bytes(value), "bundle public key")  # type: ignore[call-overload]


def _key_id(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _digest(value: object) -> bytes:
    return bytes.fromhex(value) if isinstance(value, str) else bytes(value)  # type: ignore[call-overload]
