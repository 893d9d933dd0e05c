"""Calling members as an operator: pinned TLS channels, deadlines, retries while unreachable.

A member that is down answers UNAVAILABLE; the driver retries it until its retry window closes
(members restarting after a crash come back), then counts it missing and names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

import grpc

from council.driver.operator import OperatorFolder
from council.protocol import tls
from council.protocol.gen import council_pb2_grpc as pb_grpc
from council.roster import MemberCard
from council.storage.identity import Identity

T = TypeVar("T")
S = TypeVar("S")
RETRY_PAUSE = 0.2


class ClientIdentity(Protocol):
    """Whose TLS identity calls members: an operator folder, or an auditor's (read-only)."""

    @property
    def identity(self) -> Identity: ...


@dataclass(frozen=True)
class Failure:
    """Why a call to a member did not give an answer."""

    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


class MemberClient:
    """A stub for one member, pinned to the certificate on its card."""

    def __init__(self, card: MemberCard, operator: OperatorFolder | ClientIdentity) -> None:
        self.card = card
        ident = operator.identity
        self.channel = tls.secure_channel(card.address, card.tls_cert.encode(), ident.tls_key_pem,
                                          ident.tls_cert_pem)
        self.stub = pb_grpc.MemberStub(self.channel)  # type: ignore[no-untyped-call]
        self._stubs: dict[object, object] = {}

    def stub_for(self, stub_class: Callable[[grpc.Channel], S]) -> S:
        """A stub of another service on this member's channel, made once (a stub builds one callable
        per RPC: 30 µs on this machine, paid by every log call before)."""
        stub = self._stubs.get(stub_class)
        if stub is None:
            stub = self._stubs[stub_class] = stub_class(self.channel)
        return cast(S, stub)

    def close(self) -> None:
        self.channel.close()

    def call(self, fn: Callable[[pb_grpc.MemberStub, float], T], timeout: float,
             retry_window: float) -> T | Failure:
        """Call `fn(stub, timeout)`; retry UNAVAILABLE until `retry_window` seconds passed."""
        give_up = time.monotonic() + retry_window
        while True:
            try:
                return fn(self.stub, timeout)
            except grpc.RpcError as exc:
                code = exc.code()
                failure = Failure(code.name if code else "UNKNOWN", exc.details() or "")
                if code != grpc.StatusCode.UNAVAILABLE or time.monotonic() >= give_up:
                    return failure
            time.sleep(RETRY_PAUSE)


def clients_for(cards: list[MemberCard], operator: OperatorFolder | ClientIdentity) -> dict[bytes, MemberClient]:
    """One client per distinct member (by signing key)."""
    out: dict[bytes, MemberClient] = {}
    for card in cards:
        if card.signing_key not in out:
            out[card.signing_key] = MemberClient(card, operator)
    return out
