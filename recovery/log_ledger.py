"""The council log as the recovery coordinator uses it, over gRPC (docs/recovery.md, steps (2b), (7)).

(2b) The operator appends the request as a recovery-requested entry (request id, app, version,
dump digest, target key, created and expiry times): each member approves it only when its operator
does (`keycouncil member approve DIR ID`, or its governance.toml), so the coordinator proposes it
again until `t` approved or the deadline passed, and then names whose approvals are missing.
(7) After the shares were used, each member that released authors a share-released entry.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from council.driver.client import Failure
from council.driver.log_client import LogClient, operator_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.log import DEFAULT_REQUEST_LIFETIME_MS, RecoveryRequested, apply
from council.protocol.errors import RecoveryFailed
from council.protocol.recovery_request import RecoveryRequest
from council.roster import Roster
from dumps.format import Trailer

POLL_SECONDS = 1.0


class LogLedger:
    """`recovery.coordinator.Ledger` over the members of `roster`, as `operator`."""

    def __init__(self, roster: Roster, operator: OperatorFolder, timing: Timing,
                 lifetime_ms: int = DEFAULT_REQUEST_LIFETIME_MS) -> None:
        self.roster, self.operator, self.timing, self.lifetime_ms = roster, operator, timing, lifetime_ms

    def body(self, request: RecoveryRequest) -> RecoveryRequested:
        digest = Trailer.from_bytes(request.dump.trailer_bytes).dump_digest()
        target = request.target_key.to_bytes() if request.target_key is not None else b""
        return RecoveryRequested(request.request_id, request.app_id, request.dump_version, digest,
                                 request.created_unix_ms, request.created_unix_ms + self.lifetime_ms, target)

    def record_request(self, request: RecoveryRequest, deadline_seconds: float) -> str:
        give_up = time.monotonic() + deadline_seconds
        with LogClient(self.roster.members, self.operator, self.timing) as client:
            while True:
                state, _ = client.read(request.key_id)
                if state.request(request.request_id) is not None:
                    return f"request {request.id_hex} is accepted in the council log"
                report = client.append(state, operator_entry(self.operator, state, self.body(request)))
                if report.accepted:
                    return report.summary()
                refused = [a for a in report.answers.values() if a.startswith("refused")]
                if len(refused) > len(self.roster.members) - self.roster.threshold or time.monotonic() > give_up:
                    raise RecoveryFailed(f"the recovery request is not accepted in the council log: {report.summary()}")
                time.sleep(POLL_SECONDS)

    def record_releases(self, request: RecoveryRequest, members: Sequence[int]) -> list[str]:
        lines = []
        with LogClient(self.roster.members, self.operator, self.timing) as client:
            state, _ = client.read(request.key_id)
            for index in members:
                card = self.roster.member(index)
                entry = client.author(card, request.key_id, "share-released", request.request_id)
                if isinstance(entry, Failure):
                    lines.append(f"{card.name}: share-released entry not authored: {entry}")
                    continue
                report = client.append(state, entry)
                lines.append(report.summary())
                if report.record is not None:
                    state = apply(state, report.record.entry, report.record.approvals, None)
        return lines
