"""Appending to the council log as a client: propose to the approving members, hand over the record.

(1) Read the log from the members (the longest copy that verifies) and bring members that are
behind up to date; (2) sign the entry at the head; (3) propose it to every member of the epoch that
approves it; (4) with `t` approvals, hand the record to every member. Proposing is idempotent:
Ed25519 signatures are deterministic, so proposing the same body at the same head again gives the
same entry, and members that approved it answer the same approval (docs/log-format.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from council.crypto.signing import Signer
from council.driver.client import Failure, MemberClient, clients_for
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import KeycouncilError
from council.log import (
    Approval,
    Body,
    Entry,
    LogRecord,
    LogRuleError,
    LogState,
    apply,
    sign_entry,
)
from council.log.entry import MAX_APPROVALS
from council.log.kinds import Role
from council.log.rules import quorum_roster
from council.protocol.gen import log_pb2 as pb
from council.protocol.gen import log_pb2_grpc as pb_grpc
from council.roster import MemberCard, Roster

_PROPOSE = {pb.ProposeReply.APPROVED: "approved", pb.ProposeReply.PENDING: "pending",
            pb.ProposeReply.REFUSED: "refused"}


class LogAppendFailed(KeycouncilError):
    """An entry did not reach `t` approvals, or no member's log could be read."""


@dataclass
class AppendReport:
    """What each member said about one entry, and whether it is now accepted."""

    entry: Entry
    threshold: int
    answers: dict[str, str] = field(default_factory=dict)
    """member name → approved / pending: reason / refused: reason / unreachable: reason"""
    record: LogRecord | None = None
    appended: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.record is not None

    @property
    def approved_by(self) -> list[str]:
        return sorted(n for n, a in self.answers.items() if a == "approved")

    @property
    def missing(self) -> dict[str, str]:
        return {n: a for n, a in sorted(self.answers.items()) if a != "approved"}

    def summary(self) -> str:
        head = (f"{self.entry.kind.label} entry {self.entry.seq} of key {self.entry.key_id} (id {self.entry.id}): "
                f"{len(self.approved_by)} of {self.threshold} approvals needed")
        if self.accepted:
            return head + f", ACCEPTED (approved by {', '.join(self.approved_by)})"
        gaps = "; ".join(f"{n}: {a}" for n, a in self.missing.items())
        return head + (f", NOT accepted (approved by {', '.join(self.approved_by) or 'nobody'}; missing {gaps})")


class LogClient:
    """Log calls to the members of one or more rosters, as one operator (or member) identity."""

    def __init__(self, cards: Iterable[MemberCard], operator: OperatorFolder, timing: Timing) -> None:
        self.clients = clients_for(list(cards), operator)
        self.timing = timing
        self.down: dict[bytes, Failure] = {}
        """Members that did not answer once: not asked again by this client (no retry storms)."""

    def close(self) -> None:
        for c in self.clients.values():
            c.close()

    def __enter__(self) -> LogClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, client: MemberClient, method: str, request: object) -> object:
        key = client.card.signing_key
        if key in self.down:
            return self.down[key]
        stub = pb_grpc.CouncilLogStub(client.channel)  # type: ignore[no-untyped-call]
        reply = client.call(lambda _s, t: getattr(stub, method)(request, timeout=t), self.timing.call_timeout,
                            self.timing.retry_window)
        if isinstance(reply, Failure) and reply.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            self.down[key] = reply
        return reply

    # (1) reading ------------------------------------------------------------------------------------
    def records_of(self, client: MemberClient, key_id: str) -> list[LogRecord] | Failure:
        out: list[LogRecord] = []
        while True:
            reply = self._call(client, "GetLog", pb.GetLogRequest(key_id=key_id, from_seq=len(out)))
            if isinstance(reply, Failure):
                return reply
            assert isinstance(reply, pb.GetLogReply)
            out += [LogRecord.from_bytes(b) for b in reply.records]
            if not reply.records or len(out) >= reply.next_seq:
                return out

    def read(self, key_id: str) -> tuple[LogState, list[LogRecord]]:
        """The longest copy of the log that verifies, folded; members behind are brought up to date."""
        best: tuple[LogState, list[LogRecord]] = (LogState(key_id), [])
        copies: dict[bytes, int] = {}
        for key, client in self.clients.items():
            records = self.records_of(client, key_id)
            if isinstance(records, Failure):
                continue
            copies[key] = len(records)
            folded = fold_verified(key_id, records)
            if folded[0].next_seq > best[0].next_seq:
                best = folded
        for key, length in copies.items():
            if length < len(best[1]):
                self.push(self.clients[key], best[1][length:])
        return best

    def push(self, client: MemberClient, records: Sequence[LogRecord]) -> None:
        """Hand over records in order (a member that was down catches up; it checks each)."""
        for record in records:
            reply = self._call(client, "Accept", pb.AcceptRequest(record=record.to_bytes()))
            if isinstance(reply, Failure) or reply.status == pb.AcceptReply.REFUSED:  # type: ignore[attr-defined]
                return

    # (2)-(4) appending ------------------------------------------------------------------------------
    def append(self, state: LogState, entry: Entry, approving: Roster | None = None) -> AppendReport:
        """Propose `entry` to the approving epoch's members; with `t` approvals, hand it to all."""
        roster = approving or quorum_roster(state, entry)
        report = AppendReport(entry, roster.threshold)
        approvals: list[Approval] = []
        for card in roster.members:
            client = self.clients.get(card.signing_key)
            if client is None:
                report.answers[card.name] = "unreachable: not in the rosters given"
                continue
            reply = self._call(client, "Propose", pb.ProposeRequest(entry=entry.to_bytes()))
            if isinstance(reply, Failure):
                report.answers[card.name] = f"unreachable: {reply.code}"
                continue
            assert isinstance(reply, pb.ProposeReply)
            status = _PROPOSE.get(reply.status, "refused")
            report.answers[card.name] = status if status == "approved" else f"{status}: {reply.reason}"
            if status == "approved":
                approvals.append(Approval.from_bytes(reply.approval))
        if len({a.member_key for a in approvals}) >= roster.threshold:
            record = LogRecord.of(entry, approvals[:MAX_APPROVALS])
            report.record = record
            self._hand_over(record, report)
        return report

    def _hand_over(self, record: LogRecord, report: AppendReport) -> None:
        for client in self.clients.values():
            reply = self._call(client, "Accept", pb.AcceptRequest(record=record.to_bytes()))
            name = client.card.name
            if isinstance(reply, Failure):
                report.appended[name] = f"unreachable: {reply}"
                continue
            assert isinstance(reply, pb.AcceptReply)
            if reply.status == pb.AcceptReply.BEHIND:
                records = self._missing_for(record, reply.next_seq)
                if records is not None:
                    self.push(client, [*records, record])
                    report.appended[name] = "caught up"
                    continue
            report.appended[name] = pb.AcceptReply.Status.Name(reply.status).lower()

    def _missing_for(self, record: LogRecord, start: int) -> list[LogRecord] | None:
        for client in self.clients.values():
            records = self.records_of(client, record.entry.key_id)
            if not isinstance(records, Failure) and len(records) >= record.entry.seq:
                return records[start:record.entry.seq]
        return None

    def author(self, card: MemberCard, key_id: str, kind: str, request_id: bytes = b"") -> Entry | Failure:
        """Ask a member to author a record of its own at its head (share released, epoch committed)."""
        client = self.clients[card.signing_key]
        reply = self._call(client, "Author", pb.AuthorRequest(key_id=key_id, kind=kind, request_id=request_id))
        if isinstance(reply, Failure):
            return reply
        assert isinstance(reply, pb.AuthorReply)
        return Entry.from_bytes(reply.entry)


def fold_verified(key_id: str, records: Sequence[LogRecord]) -> tuple[LogState, list[LogRecord]]:
    """Fold records while they follow the rules; stop at the first that does not."""
    state, kept = LogState(key_id), []
    for record in records:
        try:
            state = apply(state, record.entry, record.approvals, None)
        except LogRuleError:
            break
        kept.append(record)
    return state, kept


def operator_entry(operator: OperatorFolder, state: LogState, body: Body) -> Entry:
    """An entry authored by the operator at the head of `state`."""
    return sign_entry(operator.identity.signer, Role.OPERATOR, state.key_id, state.next_seq, state.head, body)


def signer_entry(signer: Signer, role: Role, state: LogState, body: Body) -> Entry:
    return sign_entry(signer, role, state.key_id, state.next_seq, state.head, body)
