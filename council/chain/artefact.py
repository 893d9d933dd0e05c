"""The committed CouncilAnchor artefact (ABI and bytecode built by tools/build_contracts.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Artefact:
    """A compiled contract as committed: its ABI, creation bytecode and provenance."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    vyper_version: str
    source_sha256: str


@cache
def council_anchor() -> Artefact:
    """The CouncilAnchor artefact shipped in council/chain/contracts/."""
    text = resources.files("council.chain.contracts").joinpath("CouncilAnchor.json").read_text()
    data = json.loads(text)
    return Artefact(data["contract"], data["abi"], data["bytecode"], data["vyper_version"], data["source_sha256"])
