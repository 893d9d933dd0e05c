"""What networked recovery needs from a transport: a member client, the operator, the epoch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from council.crypto.signing import Signer
from council.protocol.epoch import CouncilEpoch
from recovery.coordinator import Ledger
from recovery.gather import MemberClient


@dataclass(frozen=True)
class Connection:
    """A member client, the operator's signer, and the council's current epoch (verified)."""

    client: MemberClient
    operator: Signer
    council: CouncilEpoch
    ledger: Ledger | None = None
    """The key's council log (None only for in-process rehearsals without one)."""


class RecoveryBackend(Protocol):
    """gRPC by default (recovery.grpc_client); tests may supply an in-process one."""

    def connect(self, roster_path: Path, operator_dir: Path, key_id: str) -> Connection: ...
