"""A member's release policy (docs/recovery.md, "Release policy"), parsed with clear errors.

    [release]                      or   {"release": {...}}   or the section's table/object itself
    require_admitted_sealer = true      the dump's sealer evidence must pass the evidence checker
    allow_simulated = false             simulated (INSECURE) sealer evidence may be released
    waiting_period_seconds = 0          the request must be known this long before a release
    manual_approval = false             a human must approve each request id
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from council.errors import KeycouncilError


class PolicyInvalid(KeycouncilError):
    """A release policy section is malformed."""


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    """What a member requires before it releases a decryption share. Defaults are the safe ones."""

    require_admitted_sealer: bool = True
    allow_simulated: bool = False
    waiting_period_seconds: int = 0
    manual_approval: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = int if f.name == "waiting_period_seconds" else bool
            if type(value) is not kind:
                raise PolicyInvalid(f"release.{f.name}: expected {'an integer' if kind is int else 'true or false'}")
        if not 0 <= self.waiting_period_seconds <= 366 * 86400:
            raise PolicyInvalid("release.waiting_period_seconds: must be between 0 and one year")

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any], where: str = "release") -> ReleasePolicy:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise PolicyInvalid(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})")
        try:
            return cls(**dict(section))
        except PolicyInvalid as exc:
            raise PolicyInvalid(str(exc).replace("release.", f"{where}.", 1)) from None

    def to_mapping(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_release_policy(text: str, fmt: str = "toml", where: str = "release policy") -> ReleasePolicy:
    """Parse a TOML or JSON document; take its `release` section if present, else the whole."""
    try:
        doc: Any = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise PolicyInvalid(f"{where}: not valid {fmt.upper()} ({exc})") from None
    if not isinstance(doc, dict):
        raise PolicyInvalid(f"{where}: expected a table/object")
    section = doc.get("release", doc)
    if not isinstance(section, dict):
        raise PolicyInvalid(f"{where}: release: expected a table/object")
    return ReleasePolicy.from_mapping(section, f"{where}: release")
