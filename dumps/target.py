"""What a dump is sealed to: the council's public key and its identifiers (from a key bundle).

`SealTarget.from_bundle` accepts only a bundle whose commit signatures verify against its roster
(docs/dump-format.md, sealing step (1)). A bundle whose key the council log says is superseded or
retired still loads, loudly: a `KeyNoticeWarning`, and `superseded_by` / `notices` on the target.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from council.bundle import KeyBundle
from council.crypto.group import Point


class KeyNoticeWarning(UserWarning):
    """The key bundle says its key is superseded by a successor, or retired (from the council log)."""


@dataclass(frozen=True, slots=True)
class SealTarget:
    """The council key a dump is sealed to."""

    public_key: Point
    key_id: str
    epoch: int
    roster_digest: bytes
    superseded_by: str | None = field(default=None, compare=False)
    """The successor key id, if the bundle's council log named one: seal new dumps to it."""
    notices: tuple[str, ...] = field(default=(), compare=False)
    """The bundle's warnings (superseded, retired), one line each; empty for a key in ordinary use."""

    def __post_init__(self) -> None:
        if len(self.roster_digest) != 32:
            raise ValueError("roster_digest must be 32 bytes")
        if self.public_key.is_identity():
            raise ValueError("the council public key cannot be the identity")

    @classmethod
    def from_bundle(cls, bundle: KeyBundle, expected_roster_digest: bytes | None = None) -> SealTarget:
        """Verify the bundle (≥ t valid commit signatures against its roster), then take its key."""
        bundle.verify(expected_roster_digest)
        notices = tuple(bundle.warnings())
        for line in notices:
            warnings.warn(f"{bundle.source}: {line}", KeyNoticeWarning, stacklevel=2)
        return cls(bundle.public_key, bundle.key_id, bundle.epoch, bundle.commit.roster_digest,
                   bundle.superseded_by, notices)

    @classmethod
    def load_bundle(cls, path: Path, expected_roster_digest: bytes | None = None) -> SealTarget:
        """Load a key bundle file (`KeyBundle.load` names the file in errors), verify it, take its key."""
        return cls.from_bundle(KeyBundle.load(path), expected_roster_digest)
