"""The council log: one append-only, hash-chained log per key id, every entry approved by `t`.

Pure (no I/O, no clock: time is passed in). docs/log-format.md is the specification; the pieces:

- `bodies`   the kinds' bodies (frozen values, canonical bytes, JSON);
- `entry`    `Entry`, `Approval`, `LogRecord`, their bytes, `sign_entry`, `approve`;
- `rules`    `check_entry` (what a member checks before approving), `apply` (fold an accepted
             entry into a `LogState`), `classify` (widening / narrowing / record), `apply_narrowing`;
- `approve`  `review`: the member's one-approval-per-sequence decision;
- `verify`   `verify_log`: audit a whole log, with fork evidence;
- `export`   the export file; `render` the JSON of `log show` / `log verify`;
- `majority` `require_majority`: t > n/2, for `roster new` and every member.

Typical member wiring: keep `state` (fold stored records with `apply`, passing the time each was
accepted); on a proposal, `review(state, entry, approved, now)`, persist, `approve(signer, entry)`;
once `t` approvals are in, `state = apply(state, entry, approvals, now)` and store the record.
"""

from __future__ import annotations

from council.log.approve import ApprovalDecision, Verdict, one_per_sequence, review
from council.log.bodies import (
    DEFAULT_REQUEST_LIFETIME_MS,
    MAX_REQUEST_LIFETIME_MS,
    AdvisoryForbidden,
    Body,
    DumpAnnounced,
    EpochCommitted,
    Freeze,
    Genesis,
    KeyRetired,
    KeyRotated,
    OlderDumpAllowed,
    PolicyChanged,
    RecoveryRequested,
    ReleaseStatement,
    RosterProposed,
    SealerAdmitted,
    SealerRevoked,
    ShareReleased,
    SharesReleased,
    Unfreeze,
    decode_body,
)
from council.log.entry import (
    Approval,
    Author,
    Entry,
    LogRecord,
    approval_message,
    approve,
    release_valid,
    sign_entry,
    sign_release,
)
from council.log.errors import LogDecodeError, LogRuleError, ThresholdTooLow
from council.log.export import LogExport, export_log, parse_export
from council.log.kinds import AUTHORS, EFFECTS, Effect, Kind, Role
from council.log.majority import RULE as MAJORITY_RULE
from council.log.majority import is_majority, require_majority
from council.log.policy_order import meet, narrows
from council.log.render import (
    entry_to_json,
    record_to_json,
    report_to_json,
    show_log,
    state_to_json,
)
from council.log.rules import apply, apply_narrowing, approvers, check_entry, classify, fold
from council.log.state import (
    AppHead,
    LogState,
    OpenRequest,
    ReleaseDecision,
    Retirement,
    SealerRecord,
)
from council.log.verify import DoubleApproval, Failure, Fork, LogReport, verify_log

__all__ = [
    "AUTHORS", "DEFAULT_REQUEST_LIFETIME_MS", "EFFECTS", "MAJORITY_RULE", "MAX_REQUEST_LIFETIME_MS",
    "AdvisoryForbidden", "AppHead", "Approval", "ApprovalDecision", "Author", "Body", "DoubleApproval",
    "DumpAnnounced", "Effect", "Entry", "EpochCommitted", "Failure", "Fork", "Freeze", "Genesis", "KeyRetired",
    "KeyRotated", "Kind", "LogDecodeError", "LogExport", "LogRecord", "LogReport", "LogRuleError", "LogState",
    "OlderDumpAllowed", "OpenRequest", "PolicyChanged", "RecoveryRequested", "ReleaseDecision", "Retirement",
    "Role", "RosterProposed", "SealerAdmitted", "SealerRecord", "SealerRevoked", "ShareReleased",
    "SharesReleased", "ReleaseStatement", "release_valid", "sign_release",
    "ThresholdTooLow", "Unfreeze", "Verdict", "apply", "apply_narrowing", "approval_message", "approve",
    "approvers", "check_entry", "classify", "decode_body", "entry_to_json", "export_log", "fold",
    "is_majority", "meet", "narrows", "one_per_sequence", "parse_export", "record_to_json", "report_to_json",
    "require_majority", "review", "show_log", "sign_entry", "state_to_json", "verify_log",
]
