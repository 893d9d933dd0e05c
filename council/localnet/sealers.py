"""Local councils: admit a simulated sealer in a key's council log in one call (tests, demo, bench).

Appends, as the council's operator, a policy-changed entry allowing simulated sealers (if the
logged policy does not already) and a sealer-admitted entry for the sealer's key. Both widen
access, so each member waits for its operator: this helper records every member's operator
approval in its folder (what `keycouncil member approve DIR ID` does) and proposes again. For
local, INSECURE councils only: a real council's operators approve each entry themselves.
"""

from __future__ import annotations

from council.driver.log_client import AppendReport, LogAppendFailed, LogClient
from council.driver.log_entries import allow_simulated, approve_pending, sealer_admitted
from council.driver.phases import Timing
from council.localnet.council import LocalCouncil
from council.log import Entry, LogState
from council.node.log_book import folder_logbook
from council.roster import Roster
from dumps.sealer import SealingIdentity

TIMING = Timing(10.0, 2.0)


def admit_simulated_sealer(council: LocalCouncil, roster: Roster, key_id: str, sealer: SealingIdentity,
                           timing: Timing = TIMING) -> list[AppendReport]:
    """Allow simulated sealers in `key_id`'s logged policy and admit `sealer`; the accepted reports.

    Idempotent: nothing is appended for what the log already says."""
    operator = council.init_operator()

    def approve(name: str, entry: Entry) -> None:
        folder_logbook(council.members[name].path).operator_approve(entry.id)

    with LogClient(roster.members, operator, timing) as client:
        state, _ = client.read(key_id)
    reports = []
    change = allow_simulated(state)
    if change is not None:
        reports.append(_accepted(approve_pending(roster, key_id, operator, timing, change, approve)))
    if not _admitted(state, sealer):
        body = sealer_admitted(sealer.public_key, sealer.evidence)
        reports.append(_accepted(approve_pending(roster, key_id, operator, timing, body, approve)))
    return reports


def _admitted(state: LogState, sealer: SealingIdentity) -> bool:
    return state.admitted_sealer(sealer.public_key) is not None


def _accepted(report: AppendReport) -> AppendReport:
    if not report.accepted:
        raise LogAppendFailed(report.summary())
    return report
