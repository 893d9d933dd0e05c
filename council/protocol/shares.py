"""What a member returns to a recovery request: a decryption share, or one sealed to a target."""

from __future__ import annotations

from dataclasses import dataclass

from council.crypto.decryption import DecryptionContext, DecryptionShare
from council.protocol.recovery_request import RecoveryRequest


@dataclass(frozen=True, slots=True)
class TargetBoundShare:
    """Member `index`'s decryption share and proof, ECIES-sealed to the request's target key.

    Opaque to whoever relays it: only the target's secret opens it
    (`council.crypto.decryption.open_from_target`)."""

    index: int
    sealed: bytes

    def __repr__(self) -> str:
        return f"TargetBoundShare(member {self.index}, {len(self.sealed)} sealed bytes)"


MemberReply = DecryptionShare | TargetBoundShare


def context_of(request: RecoveryRequest) -> DecryptionContext:
    """The decryption context every share of this request is bound to."""
    return DecryptionContext(request.key_id, request.epoch, request.request_id)
