"""Appending to the council log as a client: propose to the approving members, hand over the record.

(1) Read the log from the members (the longest copy that verifies) and bring members that are
behind up to date; (2) sign the entry at the head; (3) propose it to every member of the epoch that
approves it; (4) with `t` approvals, hand the record to every member. Steps (1), (3) and (4) call
the members all at once (a thread per member), so an entry costs two round trips to the slowest
member rather than 2n calls one after another. Proposing is idempotent:
Ed25519 signatures are deterministic, so proposing the same body at the same head again gives the
same entry, and members that approved it answer the same approval (docs/log-format.md).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

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
    ReleaseStatement,
    apply,
    release_valid,
    sign_entry,
)
from council.log.bodies import KEY_LEN, SIG_LEN
from council.log.entry import MAX_APPROVALS
from council.log.errors import LogDecodeError
from council.log.kinds import Role
from council.log.rules import quorum_roster
from council.protocol.gen import log_pb2 as pb
from council.protocol.gen import log_pb2_grpc as pb_grpc
from council.roster import MemberCard, Roster

T = TypeVar("T")
R = TypeVar("R")
MAX_PARALLEL = 64
"""At most this many member calls in flight at once from one client."""
_POOL_NAMES = itertools.count()
HEAD_ONLY = 1 << 62
"""A `from_seq` past any log's end: GetLog then answers only the length and the head."""
_TAKEN = frozenset({"appended", "already", "caught up"})
"""Hand-over outcomes after which the member's log holds the record."""
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
    notes: list[str] = field(default_factory=list)
    """What the caller wants said beside the answers (e.g. authors passed over, and why)."""
    rival: AppendReport | None = None
    """Another entry that members had already approved at this seq, which this client completed
    (its author's coordinator died before handing it over): the caller proposes again at the next seq."""

    @property
    def accepted(self) -> bool:
        return self.record is not None

    @property
    def rival_completed(self) -> bool:
        """True when this seq is now taken by the completed rival: read the log and propose again."""
        return self.rival is not None and self.rival.accepted

    @property
    def approved_by(self) -> list[str]:
        return sorted(n for n, a in self.answers.items() if a == "approved")

    @property
    def missing(self) -> dict[str, str]:
        return {n: a for n, a in sorted(self.answers.items()) if a != "approved"}

    @property
    def taken_by(self) -> list[str]:
        """The members that hold the handed-over record now (appended, already had it, caught up)."""
        return sorted(n for n, a in self.appended.items() if a in _TAKEN)

    @property
    def recorded(self) -> bool:
        """Accepted, and (when this client handed it over) in at least one member's log."""
        return self.accepted and (not self.appended or bool(self.taken_by))

    def summary(self) -> str:
        head = (f"{self.entry.kind.label} entry {self.entry.seq} of key {self.entry.key_id} (id {self.entry.id}): "
                f"{len(self.approved_by)} of {self.threshold} approvals needed")
        return self._outcome(head) + "".join(f"; {n}" for n in self.notes)

    def _outcome(self, head: str) -> str:
        gaps = "; ".join(f"{n}: {a}" for n, a in self.missing.items())
        if not self.accepted:
            return head + f", NOT accepted (approved by {', '.join(self.approved_by) or 'nobody'}; missing {gaps})"
        left = "; ".join(f"{n}: {a}" for n, a in sorted(self.appended.items()) if a not in _TAKEN)
        return (head + f", ACCEPTED (approved by {', '.join(self.approved_by)})"
                + (f"; not counted: {gaps}" if gaps else "") + (f"; NOT stored by {left}" if left else ""))


def _answer(card: MemberCard, reply: object | None, entry: Entry) -> tuple[str, Approval | None, bytes]:
    """What one member said to a proposal, its approval when it is one, and the rival entry it
    sent: an approval counts only if it decodes and verifies as this member's approval of `entry`.
    A member that sends anything else is named and left out, so one member cannot make the
    record every member refuses."""
    if reply is None:
        return "unreachable: not in the rosters given", None, b""
    if isinstance(reply, Failure):
        down = reply.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
        return f"{'unreachable' if down else 'error'}: {reply}", None, b""
    assert isinstance(reply, pb.ProposeReply)
    status = _PROPOSE.get(reply.status, "refused")
    if status != "approved":
        return f"{status}: {_with_rule(reply.rule, reply.reason)}", None, bytes(reply.rival_entry)
    try:
        approval = Approval.from_bytes(reply.approval)
    except LogDecodeError as exc:
        return f"bad approval: {exc}", None, b""
    if approval.member_key != card.signing_key:
        return f"bad approval: it names key {approval.member_key.hex()[:16]}…, not this member's", None, b""
    if not approval.is_valid_for(entry):
        return "bad approval: its signature does not verify for this entry", None, b""
    return "approved", approval, b""


def _with_rule(rule: str, reason: str) -> str:
    """A member's refusal as `RULE: REASON`, the rule left out when the reason names it already."""
    return reason if not rule or rule in reason else f"{rule}: {reason}"


class VerifiedLogs:
    """Log prefixes this process has verified, by key id and by the members they were read from:
    a coordinator that appends again and again (recovery requests, then releases) re-reads only
    what is new. Verified records never change (a member accepts one record per sequence number)."""

    def __init__(self) -> None:
        self._logs: dict[tuple[str, frozenset[bytes]], tuple[LogState, list[LogRecord]]] = {}
        self._lock = threading.Lock()

    def get(self, key_id: str, members: Iterable[bytes]) -> tuple[LogState, list[LogRecord]]:
        with self._lock:
            return self._logs.get((key_id, frozenset(members)), (LogState(key_id), []))

    def put(self, key_id: str, members: Iterable[bytes], log: tuple[LogState, list[LogRecord]]) -> None:
        with self._lock:
            k = (key_id, frozenset(members))
            if log[0].next_seq >= self._logs.get(k, (LogState(key_id), []))[0].next_seq:
                self._logs[k] = (log[0], list(log[1]))


class LogClient:
    """Log calls to the members of one or more rosters, as one operator (or member) identity."""

    def __init__(self, cards: Iterable[MemberCard], operator: OperatorFolder, timing: Timing,
                 cache: VerifiedLogs | None = None) -> None:
        self.clients = clients_for(list(cards), operator)
        self.timing = timing
        self.cache = cache
        self.down: dict[bytes, Failure] = {}
        """Members that did not answer once: not asked again by this client (no retry storms)."""
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._pool_prefix = f"log-fanout-{next(_POOL_NAMES)}"

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def __enter__(self) -> LogClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, client: MemberClient, method: str, request: object) -> object:
        key = client.card.signing_key
        if key in self.down:
            return self.down[key]
        stub = client.stub_for(pb_grpc.CouncilLogStub)
        reply = client.call(lambda _s, t: getattr(stub, method)(request, timeout=t), self.timing.call_timeout,
                            self.timing.retry_window)
        if isinstance(reply, Failure) and reply.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            self.down[key] = reply
        return reply

    # (1) reading ------------------------------------------------------------------------------------
    def records_of(self, client: MemberClient, key_id: str, start: int = 0) -> list[LogRecord] | Failure:
        """The member's records from `start` to its head, page by page."""
        out: list[LogRecord] = []
        while True:
            reply = self._call(client, "GetLog", pb.GetLogRequest(key_id=key_id, from_seq=start + len(out)))
            if isinstance(reply, Failure):
                return reply
            assert isinstance(reply, pb.GetLogReply)
            out += [LogRecord.from_bytes(b) for b in reply.records]
            if not reply.records or start + len(out) >= reply.next_seq:
                return out

    def head_of(self, client: MemberClient, key_id: str) -> int | Failure:
        """How many records the member's copy holds (a GetLog past its end: no records sent)."""
        reply = self._call(client, "GetLog", pb.GetLogRequest(key_id=key_id, from_seq=HEAD_ONLY))
        if isinstance(reply, Failure):
            return reply
        assert isinstance(reply, pb.GetLogReply)
        return int(reply.next_seq)

    def read(self, key_id: str) -> tuple[LogState, list[LogRecord]]:
        """The longest copy of the log that verifies, folded; members behind are brought up to date.

        Every member is asked for its length at once; records are fetched from the longest copy
        only (then the next longest, if it does not verify that far), and verified once. With a
        `VerifiedLogs` cache, only the records past the prefix verified before are fetched and
        checked (a long-running coordinator; an auditor reads without one)."""
        lengths = self._each(list(self.clients.items()), lambda kc: self.head_of(kc[1], key_id))
        known = {key: n for (key, _), n in lengths if not isinstance(n, Failure)}
        base = self.cache.get(key_id, self.clients) if self.cache else (LogState(key_id), [])
        best = base
        for key, length in sorted(known.items(), key=lambda kn: kn[1], reverse=True):
            if length <= len(best[1]):
                break
            more = self.records_of(self.clients[key], key_id, len(base[1]))
            if isinstance(more, Failure):
                continue
            folded = fold_verified(key_id, more, base)
            if folded[0].next_seq > best[0].next_seq:
                best = folded
        if self.cache is not None:
            self.cache.put(key_id, self.clients, best)
        behind = [(self.clients[key], n) for key, n in known.items() if n < len(best[1])]
        self._each(behind, lambda cl: self.push(cl[0], best[1][cl[1]:]))
        return best[0], list(best[1])

    def _each(self, items: Sequence[T], fn: Callable[[T], R]) -> list[tuple[T, R]]:
        """`fn` of every item, all at once (one thread each; the members answer in parallel), in order."""
        if len(items) <= 1:
            return [(item, fn(item)) for item in items]
        if threading.current_thread().name.startswith(self._pool_prefix + "_"):  # a fan-out inside one
            with ThreadPoolExecutor(max_workers=min(len(items), MAX_PARALLEL)) as pool:
                return list(zip(items, pool.map(fn, items), strict=True))
        return list(zip(items, self._fan_out_pool().map(fn, items), strict=True))

    def _fan_out_pool(self) -> ThreadPoolExecutor:
        """This client's threads, started once and kept for its life: starting a thread per member
        per fan-out was half the wall time of a recovery's share-released entries on 2 cores. The
        pool shuts down with `close()`, or when the client is collected."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix=self._pool_prefix)
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool

    def push(self, client: MemberClient, records: Sequence[LogRecord]) -> None:
        """Hand over records in order (a member that was down catches up; it checks each)."""
        for record in records:
            reply = self._call(client, "Accept", pb.AcceptRequest(record=record.to_bytes()))
            if isinstance(reply, Failure) or reply.status == pb.AcceptReply.REFUSED:  # type: ignore[attr-defined]
                return

    # (2)-(4) appending ------------------------------------------------------------------------------
    def append(self, state: LogState, entry: Entry, approving: Roster | None = None,
               complete_rival: bool = True, hand_over: bool = True) -> AppendReport:
        """Propose `entry` to the approving epoch's members; with `t` approvals, hand it to all
        (`hand_over=False`: the caller hands `report.record` over, e.g. with its next request).

        Members that refuse because they already approved another entry at this seq send that
        entry along; without `t` approvals for ours, the rival most of them approved is proposed
        to everyone in turn (they approve it again, or review it as any proposal) and handed over
        if it gets `t`: a coordinator that died between its approvals and its hand-over no longer
        stalls the seq. Members still approve one entry per seq, so this completes, never forks."""
        roster = approving or quorum_roster(state, entry)
        report = AppendReport(entry, roster.threshold)
        approvals: list[Approval] = []
        rivals: list[bytes] = []
        proposal = pb.ProposeRequest(entry=entry.to_bytes())
        asked = self._each(list(roster.members),  # each reply checked in its own thread, as it comes
                           lambda card: _answer(card, self._propose(card, proposal), entry))
        for card, (said, approval, rival_bytes) in asked:
            report.answers[card.name] = said
            if approval is not None:
                approvals.append(approval)
            elif rival_bytes:
                rivals.append(rival_bytes)
        if len({a.member_key for a in approvals}) >= roster.threshold:
            record = LogRecord.of(entry, approvals[:MAX_APPROVALS])
            report.record = record
            if hand_over:
                self._hand_over(record, report)
        elif complete_rival:
            rival = _rival(entry, rivals)
            if rival is not None:
                report.rival = self.append(state, rival, approving, complete_rival=False)
        return report

    def _propose(self, card: MemberCard, proposal: pb.ProposeRequest) -> object | None:
        client = self.clients.get(card.signing_key)
        return None if client is None else self._call(client, "Propose", proposal)

    def _hand_over(self, record: LogRecord, report: AppendReport) -> None:
        """Give the accepted record to every member at once (a member behind is caught up first)."""
        hand_over = pb.AcceptRequest(record=record.to_bytes())
        for client, outcome in self._each(list(self.clients.values()), lambda c: self._accept(c, record, hand_over)):
            report.appended[client.card.name] = outcome

    def hand_over_to(self, card: MemberCard, record: LogRecord) -> str:
        """Hand one accepted record to one member, catching it up first if it is behind; what it said."""
        return self._accept(self.clients[card.signing_key], record, pb.AcceptRequest(record=record.to_bytes()))

    def _accept(self, client: MemberClient, record: LogRecord, hand_over: pb.AcceptRequest) -> str:
        reply = self._call(client, "Accept", hand_over)
        if isinstance(reply, Failure):
            return f"unreachable: {reply}"
        assert isinstance(reply, pb.AcceptReply)
        if reply.status == pb.AcceptReply.BEHIND:
            records = self._missing_for(record, reply.next_seq)
            if records is not None:
                self.push(client, [*records, record])
                return "caught up"
        status = str(pb.AcceptReply.Status.Name(reply.status).lower())
        if reply.status == pb.AcceptReply.REFUSED and reply.reason:
            return f"{status}: {_with_rule(reply.rule, reply.reason)}"
        return status

    def _missing_for(self, record: LogRecord, start: int) -> list[LogRecord] | None:
        for client in self.clients.values():
            records = self.records_of(client, record.entry.key_id)
            if not isinstance(records, Failure) and len(records) >= record.entry.seq:
                return records[start:record.entry.seq]
        return None

    def ask_all(self, method: str, request: object) -> list[tuple[MemberClient, object]]:
        """One `method` call to every member at once: each member's reply, or its Failure."""
        return self._each(list(self.clients.values()), lambda c: self._call(c, method, request))

    def author(self, card: MemberCard, key_id: str, kind: str, request_id: bytes = b"") -> Entry | Failure:
        """Ask a member to author a record of its own at its head (share released, epoch committed)."""
        client = self.clients[card.signing_key]
        reply = self._call(client, "Author", pb.AuthorRequest(key_id=key_id, kind=kind, request_id=request_id))
        if isinstance(reply, Failure):
            return reply
        assert isinstance(reply, pb.AuthorReply)
        try:
            return Entry.from_bytes(reply.entry)
        except LogDecodeError as exc:
            return Failure("INVALID_ENTRY", f"its entry does not decode: {exc}")

    def release_statement(self, card: MemberCard, key_id: str, request_id: bytes) -> ReleaseStatement | Failure:
        """Ask a member for its signed statement that it released its share for `request_id`;
        checked here, so a member cannot make a shares-released entry fail for the others."""
        reply = self._call(self.clients[card.signing_key], "Author",
                           pb.AuthorRequest(key_id=key_id, kind="release-statement", request_id=request_id))
        if isinstance(reply, Failure):
            return reply
        assert isinstance(reply, pb.AuthorReply)
        return checked_statement(bytes(reply.statement), card, key_id, request_id)

    def release_statements(self, cards: Sequence[MemberCard], key_id: str,
                           request_id: bytes) -> list[tuple[MemberCard, ReleaseStatement | Failure]]:
        """`release_statement` from every card at once (one round instead of one per member)."""
        return self._each(cards, lambda c: self.release_statement(c, key_id, request_id))


def checked_statement(raw: bytes, card: MemberCard, key_id: str, request_id: bytes) -> ReleaseStatement | Failure:
    """`raw` (key ‖ signature, as a member sends it with its share or through Author) as `card`'s
    release statement for `request_id` of `key_id`, checked: a Failure saying what is wrong if not."""
    if len(raw) != KEY_LEN + SIG_LEN:
        return Failure("bad-reply", f"release statement: expected {KEY_LEN + SIG_LEN} bytes (the member's key, "
                                    f"then its signature), got {len(raw)}")
    if raw[:KEY_LEN] != card.signing_key:
        return Failure("bad-reply", f"release statement: names key {raw[:8].hex()}…, not this member's "
                                    f"{card.signing_key[:8].hex()}…")
    statement = ReleaseStatement(raw[:KEY_LEN], raw[KEY_LEN:])
    if not release_valid(statement, key_id, request_id):
        return Failure("bad-reply", "the release statement's signature does not verify")
    return statement


def fold_verified(key_id: str, records: Sequence[LogRecord],
                  base: tuple[LogState, list[LogRecord]] | None = None) -> tuple[LogState, list[LogRecord]]:
    """Fold records (after the verified prefix `base`, if given) while they follow the rules; stop
    at the first that does not."""
    state, kept = base if base is not None else (LogState(key_id), [])
    kept = list(kept)
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


def _rival(ours: Entry, rivals: list[bytes]) -> Entry | None:
    """The entry most refusing members approved at our seq (not ours, same key and seq), if any."""
    counts: dict[bytes, int] = {}
    for data in rivals:
        counts[data] = counts.get(data, 0) + 1
    for data, _ in sorted(counts.items(), key=lambda kv: -kv[1]):
        try:
            entry = Entry.from_bytes(data)
        except (LogDecodeError, ValueError):
            continue  # a member's garbage: members check whatever is proposed anyway
        if entry.key_id == ours.key_id and entry.seq == ours.seq and entry.digest != ours.digest:
            return entry
    return None
