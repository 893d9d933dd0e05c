"""The DCAP quote vectors in tests/vectors/dcap (data copied from /work/shared/dcap)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "dcap"


@dataclass(frozen=True)
class Vector:
    name: str
    folder: Path
    expected: dict[str, object]

    @property
    def quote(self) -> bytes:
        return (self.folder / "quote.bin").read_bytes()

    @property
    def collateral(self) -> Path:
        return self.folder / "collateral"

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(str(self.expected["at"]).replace("Z", "+00:00"))


def vectors() -> list[Vector]:
    return [Vector(d.name, d, json.loads((d / "expected.json").read_text()))
            for d in sorted(VECTORS.iterdir()) if (d / "expected.json").exists()]


def vector(prefix: str) -> Vector:
    return next(v for v in vectors() if v.name.startswith(prefix))
