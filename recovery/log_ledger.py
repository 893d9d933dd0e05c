"""The council log as the recovery coordinator uses it, over gRPC (docs/recovery.md, steps (2b), (7)).

(2b) The operator appends the request as a recovery-requested entry (request id, app, version,
dump digest, target key, created and expiry times): each member approves it only when its operator
does (`keycouncil member approve DIR ID`, or its governance.toml), so the coordinator proposes it
again until `t` approved or the deadline passed, and then names whose approvals are missing.
(7) After the shares were used, one shares-released entry records them: each member that released
signs a release statement, and the coordinator appends them together.
(1b) `newest` reads the app's newest announced dump from the log (recovery.announced decides with it);
`allow_older` appends the `--allow-older` decision (an older-dump-allowed entry, widening: approved
like a request, by each member's operator or governance.toml), before the request that uses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from council.driver.client import Failure
from council.driver.key_log import format_ms
from council.driver.log_client import (
    AppendReport,
    LogClient,
    VerifiedLogs,
    checked_statement,
    operator_entry,
)
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.log import (
    DEFAULT_REQUEST_LIFETIME_MS,
    AppHead,
    Body,
    LogRecord,
    LogRuleError,
    LogState,
    OlderDumpAllowed,
    RecoveryRequested,
    ReleaseStatement,
    SharesReleased,
    apply,
)
from council.protocol.errors import RecoveryFailed
from council.protocol.recovery_request import RecoveryRequest
from council.roster import MemberCard, Roster

POLL_SECONDS = 1.0
OnRecord = Callable[[LogClient, LogRecord], None]


class RecordCarrier(Protocol):
    """What hands an accepted request record to the members with their Decrypt requests
    (recovery.grpc_client.GrpcMemberClient)."""

    def carry(self, request_id: bytes, record: bytes, catch_up: Callable[[int], object]) -> None:
        """Send `record` with every Decrypt of `request_id`; `catch_up(index)` hands it over to a
        member that said it is behind (missing records first), before that member is asked again."""
        ...


class KeyRetired(RecoveryFailed):
    """The key's council log records it as retired: its members erase (or erased) every share."""


def refuse_retired(state: LogState, records: list[LogRecord]) -> None:
    """KeyRetired naming the log entry, if the key is retired (before any request is proposed)."""
    retired = state.retired
    if retired is None:
        return
    entry = records[retired.seq].entry
    successor = f"; its successor for new dumps is key {state.successor!r}" if state.successor else ""
    raise KeyRetired(f"key {state.key_id!r} is RETIRED: council log entry {retired.seq} (key-retired, id "
                     f"{entry.id}, waiting period {format_ms(retired.waiting_period_ms)}"
                     + (f", reason: {retired.reason}" if retired.reason else "") + "); every member erases its "
                     f"shares once the waiting period has passed, so its dumps cannot be recovered{successor}")


class LogLedger:
    """`recovery.coordinator.Ledger` over the members of `roster`, as `operator`."""

    def __init__(self, roster: Roster, operator: OperatorFolder, timing: Timing,
                 lifetime_ms: int = DEFAULT_REQUEST_LIFETIME_MS, carrier: RecordCarrier | None = None) -> None:
        self.roster, self.operator, self.timing, self.lifetime_ms = roster, operator, timing, lifetime_ms
        self.carrier = carrier
        """Hands the request's record over with the Decrypt requests (decision 131); None: handed over here."""
        self.verified = VerifiedLogs()
        """The log as this coordinator verified it: (7) re-reads only what (2b) did not see."""
        self._client: LogClient | None = None

    def _log(self) -> LogClient:
        """One client (one TLS channel per member) for the ledger's life: a recovery's request and
        its releases would otherwise pay n handshakes each. Members that did not answer during an
        earlier step are asked again."""
        if self._client is None:
            self._client = LogClient(self.roster.members, self.operator, self.timing, self.verified)
        self._client.down.clear()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> LogLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def body(self, request: RecoveryRequest) -> RecoveryRequested:
        digest = request.dump.verify().digest  # v1 or v2 trailer, as the members compute it
        target = request.target_key.to_bytes() if request.target_key is not None else b""
        return RecoveryRequested(request.request_id, request.app_id, request.dump_version, digest,
                                 request.created_unix_ms, request.created_unix_ms + self.lifetime_ms, target)

    def record_request(self, request: RecoveryRequest, deadline_seconds: float) -> str:
        """(2b) With a `carrier`, the accepted record is not handed over here: the carrier sends it
        with each member's Decrypt request (one round fewer), and catches up a member that is behind."""
        def done(state: LogState) -> str | None:
            if state.request(request.request_id) is not None:
                return f"request {request.id_hex} is accepted in the council log"
            return None
        carrier = self.carrier
        on_record = None if carrier is None else lambda client, record: carrier.carry(
            request.request_id, record.to_bytes(), lambda index: client.hand_over_to(self.roster.member(index), record))
        return self._until_accepted(request.key_id, self.body(request), done, deadline_seconds,
                                    "the recovery request", on_record)

    def records(self, key_id: str) -> list[LogRecord]:
        """The key's log as the members hold it (verified)."""
        with LogClient(self.roster.members, self.operator, self.timing, self.verified) as client:
            _, records = client.read(key_id)
        return records

    def newest(self, key_id: str, app_id: str) -> AppHead | None:
        """The newest announced dump of `app_id` in `key_id`'s log (None: never announced)."""
        state, _ = self._log().read(key_id)
        return state.newest(app_id)

    def allow_older(self, key_id: str, body: OlderDumpAllowed, deadline_seconds: float) -> str:
        """Append the older-dump-allowed decision, waiting for `t` approvals until the deadline."""
        def done(state: LogState) -> str | None:
            if state.older_allowed.get((body.app_id, body.skipped_version)) == body:
                return (f"older-dump-allowed: {body.app_id} version {body.used_version} instead of the announced "
                        f"version {body.skipped_version} is accepted in the council log")
            return None
        return self._until_accepted(key_id, body, done, deadline_seconds, "the --allow-older decision")

    def _until_accepted(self, key_id: str, body: Body, done: Callable[[LogState], str | None],
                        deadline_seconds: float, what: str, on_record: OnRecord | None = None) -> str:
        """Propose `body` at the head until `t` approved it (or `done` says the log has it already);
        the record is handed to every member, or to `on_record` when given."""
        give_up = time.monotonic() + deadline_seconds
        client = self._log()
        optimistic = self._optimistic(client, key_id, body, done, on_record)
        if optimistic is not None:
            return optimistic
        while True:
            state, records = client.read(key_id)
            refuse_retired(state, records)
            already = done(state)
            if already is not None:
                return already
            report = client.append(state, operator_entry(self.operator, state, body), hand_over=on_record is None)
            if report.accepted:
                self._accepted(client, state, records, report, on_record)
                return report.summary()
            if report.rival_completed:
                continue  # a dead coordinator's entry took this seq: propose again at the next one
            refused = [a for a in report.answers.values() if a.startswith("refused")]
            if len(refused) > len(self.roster.members) - self.roster.threshold or time.monotonic() > give_up:
                raise RecoveryFailed(f"{what} is not accepted in the council log: {report.summary()}")
            time.sleep(POLL_SECONDS)

    def record_releases(self, request: RecoveryRequest, members: Sequence[int],
                        sent: Mapping[int, bytes] | None = None) -> list[str]:
        """(7) One shares-released entry for the members used: each member's signed release statement,
        then one append (one log round for all `t` releases). `sent` holds the statements members sent
        with their shares, by index: each is checked here, and only members without a good one are
        asked (one round). Proposed at the head this coordinator verified last, and again at the real
        head if another party appended."""
        client = self._log()
        lines: list[str] = []
        statements, ask = self._sent_statements(request, members, sent or {})
        for card, got in client.release_statements(ask, request.key_id, request.request_id) if ask else []:
            if isinstance(got, Failure):
                lines.append(f"{card.name}: release statement not given: {got}")
            else:
                statements.append(got)
        state, records = self.verified.get(request.key_id, client.clients)
        if not state.started:
            state, records = client.read(request.key_id)
        for attempt in range(3):
            fresh = [s for s in statements if not state.released(request.request_id, s.member_key)]
            if not fresh:
                break
            body = SharesReleased.of(request.request_id, fresh)
            report = client.append(state, operator_entry(self.operator, state, body))
            if report.rival is not None and report.rival.record is not None:
                state, records = self._remember(client, state, records, report.rival)
                lines.append(report.rival.summary() + " (completed for a coordinator that stopped)")
            if report.accepted:
                self._remember(client, state, records, report)
                lines.append(report.summary())
                break
            if not report.rival_completed:
                if attempt == 0:  # our head was stale: another party appended since (2b)
                    state, records = client.read(request.key_id)
                    continue
                lines.append(report.summary())
                break
        else:
            lines.append(f"the releases of request {request.id_hex} are not recorded: other entries took the "
                         "log's next sequence number three times; the members' release logs still hold them")
        return lines

    def _sent_statements(self, request: RecoveryRequest, members: Sequence[int],
                         sent: Mapping[int, bytes]) -> tuple[list[ReleaseStatement], list[MemberCard]]:
        """The good statements among those sent with the shares, and the cards of the members to ask
        (none sent, or one that does not check: a member cannot spoil the entry for the others)."""
        good: list[ReleaseStatement] = []
        ask: list[MemberCard] = []
        for index in members:
            card = self.roster.member(index)
            got = checked_statement(sent[index], card, request.key_id, request.request_id) if index in sent else None
            if isinstance(got, ReleaseStatement):
                good.append(got)
            else:
                ask.append(card)
        return good, ask

    def _optimistic(self, client: LogClient, key_id: str, body: Body,
                    done: Callable[[LogState], str | None], on_record: OnRecord | None = None) -> str | None:
        """Propose at the head this coordinator verified last, without reading the log first (one
        round fewer per request). None if there is no such head or the members refuse it (another
        party appended meanwhile): the caller then reads the log and proposes at its real head.
        Safe: members check every proposal against their own log, as they do after a read."""
        state, records = self.verified.get(key_id, client.clients)
        if not state.started:
            return None
        refuse_retired(state, records)
        if done(state) is not None:
            return None  # decided from the members' copies, not from a cache
        report = client.append(state, operator_entry(self.operator, state, body), hand_over=on_record is None)
        if not report.accepted:
            return None
        self._accepted(client, state, records, report, on_record)
        return report.summary()

    def _accepted(self, client: LogClient, state: LogState, records: list[LogRecord], report: AppendReport,
                  on_record: OnRecord | None) -> None:
        self._remember(client, state, records, report)
        if on_record is not None and report.record is not None:
            on_record(client, report.record)

    def _remember(self, client: LogClient, state: LogState, records: list[LogRecord],
                  report: AppendReport) -> tuple[LogState, list[LogRecord]]:
        """The log after our accepted `report.record` (verified by the members' t approvals and by
        `apply`), kept as the verified head for the next append."""
        assert report.record is not None
        try:
            state = apply(state, report.record.entry, report.record.approvals, None)
        except LogRuleError:
            return state, records  # not what the members hold as verified: the next append reads the log
        records = [*records, report.record]
        self.verified.put(state.key_id, client.clients, (state, records))
        return state, records
