"""A committed epoch as recovery needs it: the signed key bundle plus every member's public
verification share `Y_j`, checked against the commit's `verification_shares_digest`.

The bundle's commit signs SHA-256 of the `Y_j` list (docs/protocol.md, DKG step 5), so the list
carried next to a bundle (in backups, in target packages) is authenticated by the commit.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from council.bundle import BundleError, KeyBundle
from council.crypto.group import Point
from council.crypto.messages import verification_shares_digest
from council.errors import DecodeError, KeycouncilError
from council.protocol.errors import BackupFileInvalid


@dataclass(frozen=True)
class CouncilEpoch:
    """A verified key bundle and its `Y_j` list; an instance that exists is consistent."""

    bundle: KeyBundle
    verification_shares: Mapping[int, Point]

    def __post_init__(self) -> None:
        self.bundle.verify()
        digest = verification_shares_digest(self.verification_shares)
        if not hmac.compare_digest(digest, self.bundle.commit.verification_shares_digest):
            raise BundleError(f"{self.bundle.source}: the verification shares do not match the "
                              f"commit's digest (key {self.key_id}, epoch {self.epoch})")

    @property
    def key_id(self) -> str:
        return self.bundle.key_id

    @property
    def epoch(self) -> int:
        return self.bundle.epoch

    @property
    def threshold(self) -> int:
        return self.bundle.threshold

    @property
    def public_key(self) -> Point:
        return self.bundle.public_key

    def to_json(self) -> dict[str, Any]:
        return {"bundle": self.bundle.to_json(),
                "verification_shares": {str(j): y.to_bytes().hex()
                                        for j, y in sorted(self.verification_shares.items())}}

    @classmethod
    def from_json(cls, obj: Any, source: str) -> CouncilEpoch:
        """Parse and verify; BackupFileInvalid (a DecodeError) on any problem."""
        if not isinstance(obj, dict) or not isinstance(obj.get("verification_shares"), dict):
            raise BackupFileInvalid(f"{source}: expected {{bundle, verification_shares}}")
        try:
            bundle = KeyBundle.loads(json.dumps(obj.get("bundle")), f"{source}.bundle")
            shares = {_index(k, source): Point.from_bytes(_hex(v, f"{source}.verification_shares.{k}"),
                                                          f"{source}.verification_shares.{k}")
                      for k, v in obj["verification_shares"].items()}
            return cls(bundle, shares)
        except (BundleError, DecodeError) as exc:
            raise BackupFileInvalid(str(exc)) from None
        except KeycouncilError as exc:
            raise BackupFileInvalid(f"{source}: {exc}") from None


def _index(key: str, source: str) -> int:
    if not key.isdigit() or not 1 <= int(key) < 1 << 16 or str(int(key)) != key:
        raise BackupFileInvalid(f"{source}.verification_shares: {key[:8]!r} is not a member index")
    return int(key)


def _hex(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise BackupFileInvalid(f"{where}: expected hex")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise BackupFileInvalid(f"{where}: not hexadecimal") from None
