"""The roster: who the members of a committee are, how to reach them, and the threshold.

A roster is a JSON file built from members' public cards; its digest (SHA-256 of the canonical
JSON) is what ceremonies, commits and key bundles refer to. Loading validates everything and names
the file and field on error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

from council.crypto.committee import Committee, MemberKeys
from council.crypto.group import Point
from council.errors import DecodeError, KeycouncilError

ROSTER_FORMAT = "keycouncil-roster/1"
T = TypeVar("T")


class RosterError(KeycouncilError):
    """A roster or member card is malformed or inconsistent."""


@dataclass(frozen=True)
class MemberCard:
    """A member's public card: name, address, identity and encryption keys, TLS certificate."""

    name: str
    address: str
    signing_key: bytes
    encryption_key: bytes
    tls_cert: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "address": self.address, "signing_key": self.signing_key.hex(),
                "encryption_key": self.encryption_key.hex(), "tls_cert": self.tls_cert}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> MemberCard:
        d = _obj(obj, where)
        card = cls(_str(d, "name", where), _str(d, "address", where), _hex(d, "signing_key", where, 32),
                   _hex(d, "encryption_key", where, 33), _str(d, "tls_cert", where))
        try:
            Point.from_bytes(card.encryption_key, f"{where}.encryption_key")
        except DecodeError as exc:
            raise RosterError(str(exc)) from None
        return card


@dataclass(frozen=True)
class OperatorCard:
    """An operator allowed to start ceremonies and request recovery."""

    name: str
    signing_key: bytes
    tls_cert: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "signing_key": self.signing_key.hex(), "tls_cert": self.tls_cert}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> OperatorCard:
        d = _obj(obj, where)
        return cls(_str(d, "name", where), _hex(d, "signing_key", where, 32), _str(d, "tls_cert", where))


@dataclass(frozen=True)
class Roster:
    """Members (index 1..n in order), operators, and the threshold."""

    threshold: int
    members: tuple[MemberCard, ...]
    operators: tuple[OperatorCard, ...] = ()

    def __post_init__(self) -> None:
        _validate(self)

    def to_json(self) -> dict[str, Any]:
        return {"format": ROSTER_FORMAT, "threshold": self.threshold,
                "members": [dict(index=i, **m.to_json()) for i, m in enumerate(self.members, start=1)],
                "operators": [o.to_json() for o in self.operators]}

    def canonical_bytes(self) -> bytes:
        """The canonical JSON (computed once: a roster is immutable, and every RPC of a ceremony
        hashes its rosters again)."""
        return self._once("_canonical", lambda: json.dumps(self.to_json(), sort_keys=True,
                                                           separators=(",", ":")).encode())

    def digest(self) -> bytes:
        return self._once("_digest", lambda: hashlib.sha256(self.canonical_bytes()).digest())

    def committee(self) -> Committee:
        """The members' keys as the ceremony core takes them (decoded once per roster)."""
        def build() -> Committee:
            keys = {i: MemberKeys(i, m.signing_key, Point.from_bytes(m.encryption_key))
                    for i, m in enumerate(self.members, start=1)}
            return Committee(self.threshold, keys, self.digest())
        return self._once("_committee", build)

    def _once(self, name: str, make: Callable[[], T]) -> T:
        """A value derived from this (immutable) roster, computed on first use."""
        cached = self.__dict__.get(name)
        if cached is None:
            cached = make()
            object.__setattr__(self, name, cached)
        return cast(T, cached)

    def index_of(self, signing_key: bytes) -> int | None:
        for i, m in enumerate(self.members, start=1):
            if m.signing_key == signing_key:
                return i
        return None

    def member(self, index: int) -> MemberCard:
        if not 1 <= index <= len(self.members):
            raise RosterError(f"no member {index} in a roster of {len(self.members)}")
        return self.members[index - 1]

    def who(self, index: int) -> str:
        """`index (name)`: how a member is shown wherever it is shown or chosen, so that an
        index is never read without the name it stands for in this roster (indices change
        from one epoch to the next)."""
        if 1 <= index <= len(self.members):
            return f"{index} ({self.members[index - 1].name})"
        return str(index)

    def index_by_name_or_index(self, text: str) -> int | None:
        """The index of the member named `text`, or `text` as an index of this roster."""
        for i, m in enumerate(self.members, start=1):
            if m.name == text:
                return i
        if text.isdigit() and 1 <= int(text) <= len(self.members):
            return int(text)
        return None

    @classmethod
    def from_json(cls, obj: Any, where: str = "roster") -> Roster:
        d = _obj(obj, where)
        if d.get("format") != ROSTER_FORMAT:
            raise RosterError(f"{where}.format: expected {ROSTER_FORMAT!r}, got {d.get('format')!r}")
        threshold = d.get("threshold")
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise RosterError(f"{where}.threshold: expected an integer")
        members = _list(d, "members", where)
        for k, m in enumerate(members, start=1):
            if _obj(m, f"{where}.members[{k - 1}]").get("index") != k:
                raise RosterError(f"{where}.members[{k - 1}].index: expected {k} (members are listed in index order)")
        return cls(threshold,
                   tuple(MemberCard.from_json({k: v for k, v in m.items() if k != "index"},
                                              f"{where}.members[{n}]") for n, m in enumerate(members)),
                   tuple(OperatorCard.from_json(o, f"{where}.operators[{n}]")
                         for n, o in enumerate(_list(d, "operators", where))))

    @classmethod
    def loads(cls, text: str | bytes, where: str) -> Roster:
        """Parse and validate; the same bytes again (every RPC of a ceremony carries its rosters)
        give the roster already validated, without decoding every key again."""
        try:
            return _valid_roster(text)
        except RosterError:
            return _parse(text, where)  # raises again, naming the caller's file or field


@lru_cache(maxsize=32)
def _valid_roster(data: str | bytes) -> Roster:
    """Only valid rosters are kept (an error is raised, never cached); a Roster is immutable."""
    return _parse(data, "roster")


def _parse(data: str | bytes, where: str) -> Roster:
    try:
        return Roster.from_json(json.loads(data), where)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RosterError(f"{where}: not valid JSON ({exc})") from None


def _validate(r: Roster) -> None:
    n = len(r.members)
    if n == 0:
        raise RosterError("roster: no members")
    if n >= 1 << 16:
        raise RosterError(f"roster: {n} members, at most 65535")
    if not 1 <= r.threshold <= n:
        raise RosterError(f"roster.threshold: {r.threshold} is out of range 1..{n}")
    _unique([m.name for m in r.members], "member name")
    _unique([m.address for m in r.members], "member address")
    _unique([m.signing_key.hex() for m in r.members] + [o.signing_key.hex() for o in r.operators], "signing key")
    _unique([m.encryption_key.hex() for m in r.members], "encryption key")
    _unique([o.name for o in r.operators], "operator name")


def _unique(values: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise RosterError(f"roster: duplicate {what} {v[:16]!r}")
        seen.add(v)


def _obj(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise RosterError(f"{where}: expected a JSON object")
    return obj


def _list(d: dict[str, Any], key: str, where: str) -> list[Any]:
    v = d.get(key, [])
    if not isinstance(v, list):
        raise RosterError(f"{where}.{key}: expected a list")
    return v


def _str(d: dict[str, Any], key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise RosterError(f"{where}.{key}: expected a non-empty string")
    return v


def _hex(d: dict[str, Any], key: str, where: str, length: int) -> bytes:
    v = _str(d, key, where)
    try:
        raw = bytes.fromhex(v)
    except ValueError:
        raise RosterError(f"{where}.{key}: not hexadecimal") from None
    if len(raw) != length:
        raise RosterError(f"{where}.{key}: expected {length} bytes, got {len(raw)}")
    return raw
