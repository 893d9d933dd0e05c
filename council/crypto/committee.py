"""A committee as the protocol sees it: indices, identity and encryption keys, threshold.

The full roster (names, addresses, certificates) lives in `council.roster`; its digest is carried
here so that everything signed in a ceremony refers to exactly one roster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from council.crypto.group import Point


@dataclass(frozen=True, slots=True)
class MemberKeys:
    """One member's public keys and its index (1..n) in the committee."""

    index: int
    signing_key: bytes
    encryption_key: Point


@dataclass(frozen=True)
class Committee:
    """Members by index, the threshold, and the digest of the roster they come from."""

    threshold: int
    members: Mapping[int, MemberKeys]
    roster_digest: bytes
    indices: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        idx = tuple(sorted(self.members))
        if not idx:
            raise ValueError("a committee needs members")
        if idx[0] < 1 or idx[-1] >= 1 << 16:
            raise ValueError("member indices must be in 1..65535")
        if any(self.members[i].index != i for i in idx):
            raise ValueError("member index does not match its key")
        if not 1 <= self.threshold <= len(idx):
            raise ValueError(f"threshold {self.threshold} out of range 1..{len(idx)}")
        object.__setattr__(self, "indices", idx)

    @property
    def size(self) -> int:
        return len(self.indices)

    def member(self, index: int) -> MemberKeys:
        try:
            return self.members[index]
        except KeyError:
            raise ValueError(f"member {index} is not in the committee") from None
