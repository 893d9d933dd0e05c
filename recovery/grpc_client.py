"""The coordinator's MemberClient over gRPC, and the default RecoveryBackend of `keycouncil recover`.

Each member is called on a channel pinned to the certificate on its roster card, with the
operator's client TLS identity (council.driver.client). Each call has its own deadline. A PENDING
answer (manual approval) is asked again every `poll_seconds` until the coordinator's deadline,
saying "waiting for approval by member X". Errors start with the member's name (the coordinator
adds its index): unreachable or too slow → PeerUnavailable; refused (policy, certificate,
request) → PolicyRefused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from council.crypto.decryption import DecryptionShare
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.driver.query import latest_epoch
from council.errors import DecodeError, PeerUnavailable, PolicyRefused
from council.protocol import tls
from council.protocol.epoch import CouncilEpoch
from council.protocol.gen import recovery_pb2 as pb
from council.protocol.gen import recovery_pb2_grpc as pb_grpc
from council.protocol.recovery_request import RecoveryRequest
from council.protocol.shares import MemberReply, TargetBoundShare
from council.roster import MemberCard, Roster
from council.storage.folders import load_roster, read_passphrase
from recovery.connection import Connection
from recovery.log_ledger import LogLedger

DEFAULT_CALL_TIMEOUT = 10.0
DEFAULT_POLL_SECONDS = 1.0
_UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.CANCELLED, grpc.StatusCode.RESOURCE_EXHAUSTED)
Notice = Callable[[str], None]


@dataclass
class GrpcMemberClient:
    """`recovery.gather.MemberClient` over the Recovery service of each member of `roster`."""

    roster: Roster
    operator: OperatorFolder
    wait_seconds: float = 30.0
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    poll_seconds: float = DEFAULT_POLL_SECONDS
    notice: Notice | None = None
    _stubs: dict[int, tuple[grpc.Channel, pb_grpc.RecoveryStub]] = field(default_factory=dict)
    _statements: dict[tuple[bytes, int], bytes] = field(default_factory=dict)
    _carried: dict[bytes, tuple[bytes, Callable[[int], object]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def carry(self, request_id: bytes, record: bytes, catch_up: Callable[[int], object]) -> None:
        """`recovery.log_ledger.RecordCarrier`: send the request's accepted log record with each Decrypt."""
        with self._lock:
            self._carried[request_id] = (record, catch_up)

    def decrypt(self, member_index: int, request: RecoveryRequest) -> MemberReply:
        """This member's share; PENDING is asked again until `wait_seconds` from the first call. With
        a carried log record, a member that did not take it (behind, or older than decision 131) and
        did not release is handed it the usual way (`catch_up`, missing records first), then asked again."""
        card = self._card(member_index)
        give_up = time.monotonic() + self.wait_seconds
        told = False
        with self._lock:
            carried = self._carried.get(request.request_id)
        while True:
            reply = self._call(member_index, card, request, give_up, carried[0] if carried else b"")
            if (carried is not None and reply.decision != pb.DecryptReply.RELEASED
                    and reply.log_status not in ("appended", "already")):
                outcome = carried[1](member_index)
                carried = None  # handed over: ask again, once, without it
                if self.notice is not None:
                    self.notice(f"member {member_index} ({card.name}): did not take the request's log record "
                                f"({reply.log_status or 'no answer about it'}); handed over: {outcome}; asking again")
                continue
            if reply.decision != pb.DecryptReply.PENDING:
                share = _share_of(member_index, card, reply)
                if reply.release_statement:
                    with self._lock:
                        self._statements[(request.request_id, member_index)] = bytes(reply.release_statement)
                return share
            if not told and self.notice is not None:
                self.notice(_waiting(member_index, card.name, reply))
                told = True
            if time.monotonic() + self.poll_seconds >= give_up:
                raise PolicyRefused(f"{card.name}: still pending after {self.wait_seconds:g} s: {reply.reason}")
            time.sleep(self.poll_seconds)

    def statement(self, member_index: int, request_id: bytes) -> bytes:
        """The release statement the member sent with its share of `request_id` (b"" if none)."""
        with self._lock:
            return self._statements.get((request_id, member_index), b"")

    def close(self) -> None:
        with self._lock:
            for channel, _ in self._stubs.values():
                channel.close()
            self._stubs.clear()

    def _card(self, index: int) -> MemberCard:
        if not 1 <= index <= len(self.roster.members):
            raise PeerUnavailable(f"not in the roster of {len(self.roster.members)} members")
        return self.roster.member(index)

    def _stub(self, index: int, card: MemberCard) -> pb_grpc.RecoveryStub:
        with self._lock:
            if index not in self._stubs:
                ident = self.operator.identity
                channel = tls.secure_channel(card.address, card.tls_cert.encode(), ident.tls_key_pem,
                                             ident.tls_cert_pem)
                self._stubs[index] = (channel, pb_grpc.RecoveryStub(channel))
            return self._stubs[index][1]

    def _call(self, index: int, card: MemberCard, request: RecoveryRequest, give_up: float,
              record: bytes = b"") -> pb.DecryptReply:
        timeout = max(0.1, min(self.call_timeout, give_up - time.monotonic()))
        try:
            return self._stub(index, card).Decrypt(pb.DecryptRequest(request=request.to_bytes(), log_record=record),
                                                   timeout=timeout)
        except grpc.RpcError as exc:
            code, detail = exc.code(), exc.details() or ""
            if code in _UNAVAILABLE:
                raise PeerUnavailable(f"{card.name} at {card.address}: {_unreachable(code, detail, timeout)}") from None
            raise PolicyRefused(f"{card.name}: {detail[:300]} ({code.name if code else 'UNKNOWN'})") from None


def _unreachable(code: grpc.StatusCode, detail: str, timeout: float) -> str:
    """A short reason for an unavailable member (gRPC's details are long and repetitive)."""
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"no answer within {timeout:.3g} s"
    if "Connection refused" in detail:
        return "connection refused"
    if "Socket closed" in detail or "handshake" in detail.lower():
        return "connection closed during the TLS handshake (is this operator's certificate in its roster?)"
    return f"{code.name.lower()}: {detail[:200]}"


def _waiting(index: int, name: str, reply: pb.DecryptReply) -> str:
    if "manual approval" in reply.reason:
        return f"member {index}: waiting for approval by member {name} (request {reply.request_id})"
    return f"member {index}: waiting for member {name}: {reply.reason}"


def _share_of(index: int, card: MemberCard, reply: pb.DecryptReply) -> MemberReply:
    where = card.name
    if reply.decision == pb.DecryptReply.REFUSED:
        raise PolicyRefused(f"{where}: {reply.reason or 'refused without a reason'}")
    if reply.decision != pb.DecryptReply.RELEASED:
        raise PolicyRefused(f"{where}: malformed reply (decision {reply.decision})")
    if reply.sealed_share:
        return TargetBoundShare(reply.member, bytes(reply.sealed_share))
    try:
        return DecryptionShare.from_bytes(bytes(reply.share), f"{where}: decryption share")
    except DecodeError as exc:
        raise PolicyRefused(f"{where}: undecodable share ({exc})") from None


def fetch_council(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing) -> CouncilEpoch:
    """The roster's current epoch of `key_id` from the members, verified against the signed commit."""
    verified = latest_epoch(roster, key_id, operator, timing, pinned=roster.digest())
    verified.bundle.verify(expected_roster_digest=roster.digest())
    return CouncilEpoch(verified.bundle, dict(verified.data.verification_shares))


@dataclass
class GrpcRecoveryBackend:
    """The default `cli.recover.RecoveryBackend`: members over gRPC with the operator's identity."""

    wait_seconds: float = 30.0
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    passphrase_file: Path | None = None
    notice: Notice | None = None

    def connect(self, roster_path: Path, operator_dir: Path, key_id: str) -> Connection:
        """Open the operator folder, fetch and verify the epoch, make the member client."""
        roster = load_roster(roster_path)
        operator = OperatorFolder.open(operator_dir, read_passphrase(self.passphrase_file, insecure=True))
        council = fetch_council(roster, key_id, operator, Timing(min(self.call_timeout, 10.0), 0.0))
        client = GrpcMemberClient(council.bundle.roster, operator, self.wait_seconds, self.call_timeout,
                                  notice=self.notice)
        ledger = LogLedger(council.bundle.roster, operator, Timing(min(self.call_timeout, 10.0), 0.0), carrier=client)
        return Connection(client, operator.identity.signer, council, ledger)
