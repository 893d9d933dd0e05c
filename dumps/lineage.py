"""Which council key a dump is sealed to, told without any key (issue 3/7, defect 3).

A dump header names its key id, epoch and the roster digest of the bundle it was sealed to; it does
not carry the council key Y. A key id alone proves nothing: another council may name its key the
same. What binds a dump to *this* council's Y is its lineage: the (epoch, roster digest) pairs of
the committed epochs of the key, all with the same Y (every re-share keeps Y). A dump is

- **bound** if its roster digest is one of the lineage's (a roster commits one key per key id)
  and, when its epoch is one the lineage knows, it is that epoch's roster;
- **foreign** if its key id differs, or its epoch is known with another roster digest;
- **unknown** otherwise (an epoch the lineage does not reach, with a roster it does not know).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from council.bundle import BundleError, KeyBundle
from council.crypto.group import Point
from council.errors import PolicyRefused
from dumps.header import DumpHeader


class ForeignKey(PolicyRefused):
    """The dump is sealed to another council's key (or another key id)."""


class LineageUnknown(PolicyRefused):
    """Nothing known about the key ties the dump's epoch and roster to it."""


class Binding(Enum):
    BOUND = "bound"
    FOREIGN = "foreign"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyLineage:
    """Committed epochs of one key that share one public key: epoch → roster digest."""

    key_id: str
    public_key: Point | None
    rosters: Mapping[int, bytes]

    @classmethod
    def of_bundles(cls, bundles: Iterable[KeyBundle]) -> KeyLineage:
        """The lineage of verified bundles; they must be of one key id and one public key."""
        items = list(bundles)
        if not items:
            raise ValueError("a lineage needs at least one bundle")
        first = items[0]
        for b in items[1:]:
            if b.key_id != first.key_id or b.public_key != first.public_key:
                raise BundleError(f"{b.source}: key {b.key_id!r} with public key {b.public_key}, but "
                                  f"{first.source} is key {first.key_id!r} with {first.public_key}: "
                                  "bundles of one lineage share the key id and the public key")
        return cls(first.key_id, first.public_key, {b.epoch: b.commit.roster_digest for b in items})

    def binding(self, header: DumpHeader) -> tuple[Binding, str]:
        """Whether `header` is sealed to this lineage's key, and why (public facts only)."""
        roster = header.roster_digest.hex()[:16] + "…"
        where = f"sealed to key {header.key_id!r} epoch {header.epoch} of roster {roster}"
        if header.key_id != self.key_id:
            return Binding.FOREIGN, f"{where}: another key id than {self.key_id!r}"
        known = self.rosters.get(header.epoch)
        if known is not None:
            if known == header.roster_digest:
                return Binding.BOUND, where
            return Binding.FOREIGN, (f"{where}: this council committed epoch {header.epoch} with roster "
                                     f"{known.hex()[:16]}…, so the dump is sealed to another council's key")
        if header.roster_digest in self.rosters.values():
            return Binding.BOUND, where
        known_epochs = ", ".join(str(e) for e in sorted(self.rosters)) or "none"
        return Binding.UNKNOWN, (f"{where}: epoch {header.epoch} and its roster are not known here (known "
                                 f"epochs: {known_epochs}); give the key bundle of epoch {header.epoch}")

    def require(self, header: DumpHeader, allow_unknown: bool = False) -> None:
        """Raise ForeignKey (or LineageUnknown unless `allow_unknown`) if not bound."""
        verdict, why = self.binding(header)
        if verdict is Binding.FOREIGN:
            raise ForeignKey(why)
        if verdict is Binding.UNKNOWN and not allow_unknown:
            raise LineageUnknown(why)
