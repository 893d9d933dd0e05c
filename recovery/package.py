"""The target package: what a coordinator relays to a target in target-bound recovery.

    text "recovery-target-package" ‖ blob request (RecoveryRequest wire bytes) ‖
    blob council (JSON: key bundle and Y_j list) ‖ u16 count ‖ count × (u16 member ‖ blob sealed)

Everything in it is public or sealed to the target: the coordinator that writes it cannot open it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from council.crypto.codec import Reader, Writer
from council.errors import DecodeError
from council.protocol.epoch import CouncilEpoch
from council.protocol.errors import RequestInvalid
from council.protocol.recovery_request import RecoveryRequest
from council.protocol.shares import TargetBoundShare

KIND = "recovery-target-package"


@dataclass(frozen=True)
class TargetPackage:
    """The signed request, the epoch's public data and every member's sealed share."""

    request: RecoveryRequest
    council: CouncilEpoch
    shares: tuple[TargetBoundShare, ...]

    def to_bytes(self) -> bytes:
        w = (Writer().text(KIND).blob(self.request.to_bytes())
             .blob(json.dumps(self.council.to_json(), sort_keys=True).encode()).uint(len(self.shares), 2))
        for s in self.shares:
            w.uint(s.index, 2).blob(s.sealed)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "target package") -> TargetPackage:
        try:
            r = Reader(data, source)
            if r.text("type") != KIND:
                raise RequestInvalid(f"{source}: not a {KIND}")
            request = RecoveryRequest.from_bytes(r.blob("request"))
            council = CouncilEpoch.from_json(_json(r.blob("council"), source), f"{source}.council")
            shares = tuple(TargetBoundShare(r.uint(2, "member"), r.blob("sealed")) for _ in range(r.uint(2, "count")))
            r.end()
        except RequestInvalid:
            raise
        except DecodeError as exc:
            raise RequestInvalid(str(exc)) from None
        return cls(request, council, shares)


def _json(raw: bytes, source: str) -> object:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RequestInvalid(f"{source}.council: not valid JSON") from None
