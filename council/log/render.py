"""JSON renderings for `keycouncil log show --json` and `log verify --json` (stable field names).

Field names are part of the interface (docs/log-format.md, "JSON rendering"): add fields, never
rename them. Bytes are lowercase hex; absent optional values are null.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from council.attestation.policy_json import policy_to_json
from council.log.bodies import Genesis
from council.log.entry import Entry, LogRecord
from council.log.errors import LogRuleError
from council.log.rules import apply, classify
from council.log.state import LogState
from council.log.verify import LogReport

JSON_FORMAT = "keycouncil-log/1"


def entry_to_json(entry: Entry) -> dict[str, Any]:
    """One entry: position, kind, author, body fields and signature."""
    return {"seq": entry.seq, "id": entry.id, "previous": entry.previous.hex(), "key_id": entry.key_id,
            "kind": entry.kind.label, "author": {"role": entry.author.role.label,
                                                 "public_key": entry.author.public_key.hex()},
            "body": entry.body.to_json(), "signature": entry.signature.hex()}


def record_to_json(record: LogRecord, names: Mapping[bytes, str] | None = None,
                   effect: str | None = None, accepted: bool | None = None) -> dict[str, Any]:
    """An entry with its approvals (member names when known), class and acceptance when known."""
    names = names or {}
    out = entry_to_json(record.entry)
    out["author"]["name"] = names.get(record.entry.author.public_key)
    out["class"] = effect
    out["accepted"] = accepted
    out["approvals"] = [{"member_key": a.member_key.hex(), "member": names.get(a.member_key),
                         "signature": a.signature.hex(), "anchor": a.anchor.hex() or None}
                        for a in record.approvals]
    return out


def show_log(key_id: str, records: Iterable[LogRecord], start: int = 0) -> dict[str, Any]:
    """`log show --json`: every record from `start`, folded to add class, acceptance and names."""
    state, rows, broken = LogState(key_id), [], False
    for record in records:
        names = _names(state, record.entry)
        effect, accepted = None, False
        if not broken:
            try:
                effect = classify(state, record.entry).value
                state = apply(state, record.entry, record.approvals, None)
                accepted = True
            except LogRuleError:
                broken = True
        if record.entry.seq >= start:
            rows.append(record_to_json(record, names, effect, accepted))
    return {"format": JSON_FORMAT, "key_id": key_id, "entries": rows, "state": state_to_json(state)}


def _names(state: LogState, entry: Entry) -> dict[bytes, str]:
    """Names of the parties who may author or approve `entry`: the current roster's members and
    operators, the pending roster's members (a new member authors epoch-committed), and for
    genesis its own roster."""
    rosters = [r for r in (state.roster, state.pending.roster if state.pending else None) if r is not None]
    if isinstance(entry.body, Genesis):
        rosters.append(entry.body.roster)
    names: dict[bytes, str] = {}
    for roster in rosters:
        names.update({o.signing_key: o.name for o in roster.operators})
        names.update({m.signing_key: m.name for m in roster.members})
    return {**names, **state.member_keys, **state.operator_keys}


def state_to_json(state: LogState) -> dict[str, Any]:
    """The state a log adds up to: roster, epoch, policy, sealers, apps, requests, rotation."""
    return {
        "key_id": state.key_id, "next_seq": state.next_seq, "head": state.head.hex(), "epoch": state.epoch,
        "threshold": state.threshold, "public_key": state.public_key.hex() or None,
        "roster_digest": state.roster.digest().hex() if state.roster else None,
        "members": [m.name for m in state.roster.members] if state.roster else [],
        "pending_roster": ({"seq": state.pending.seq, "roster_digest": state.pending.roster.digest().hex(),
                            "threshold": state.pending.roster.threshold} if state.pending else None),
        "policy": policy_to_json(state.policy),
        "sealers": [{"public_key": r.public_key.hex(), "tee": r.tee, "measurement": r.measurement.hex(),
                     "tcb_status": r.tcb_status, "admitted_seq": r.admitted_seq, "revoked_seq": r.revoked_seq}
                    for r in sorted(state.sealers.values(), key=lambda r: r.public_key)],
        "apps": [{"app_id": h.app_id, "version": h.version, "dump_digest": h.digest.hex(), "seq": h.seq}
                 for h in sorted(state.apps.values(), key=lambda h: h.app_id)],
        "requests": [{"request_id": rid.hex(), "seq": o.seq, "expires_unix_ms": o.body.expires_unix_ms,
                      "released_by": sorted(k.hex() for k in state.releases.get(rid, frozenset()))}
                     for rid, o in sorted(state.requests.items())],
        "successor_key_id": state.successor,
        "retired": ({"seq": state.retired.seq, "waiting_period_ms": state.retired.waiting_period_ms}
                    if state.retired else None),
    }


def report_to_json(report: LogReport) -> dict[str, Any]:
    """`log verify --json`: ok, entries verified, the failure (seq, rule, detail) and fork evidence."""
    failure = report.failure
    fork = report.fork
    return {
        "format": JSON_FORMAT, "key_id": report.key_id, "ok": report.ok, "verified": report.verified,
        "head": {"seq": report.state.next_seq - 1, "digest": report.state.head.hex()} if report.verified else None,
        "failure": {"seq": failure.seq, "rule": failure.rule, "detail": failure.detail} if failure else None,
        "fork": ({"seq": fork.seq, "digests": [d.hex() for d in fork.digests],
                  "double_approvers": [{"member_key": d.member_key.hex(), "member": d.member_name,
                                        "first": {"digest": d.first_digest.hex(), "signature": d.first.signature.hex()},
                                        "second": {"digest": d.second_digest.hex(),
                                                   "signature": d.second.signature.hex()}}
                                       for d in fork.double_approvers]} if fork else None),
    }
