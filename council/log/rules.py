"""The rules of the log as pure functions: may this entry follow, is it accepted, what does it do.

Steps (numbered as in docs/log-format.md, "Rules"):

  (1) key id   (2) sequence   (3) previous digest   (4) genesis first and only first
  (5) author signature   (6) retired keys accept only records of releases and narrowing
  (7) author role and identity   (8) the kind's own rule   (9) quorum   (10) effect

`check_entry` runs (1)–(8): what a member checks before it approves. `apply` adds (9) and folds
the entry into a new `LogState` (10). Every refusal is a LogRuleError naming the sequence number
and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

from council.log.bodies import (
    AdvisoryForbidden,
    DumpAnnounced,
    EpochCommitted,
    Freeze,
    Genesis,
    KeyRetired,
    KeyRotated,
    OlderDumpAllowed,
    PolicyChanged,
    RecoveryRequested,
    RosterProposed,
    SealerAdmitted,
    SealerRevoked,
    ShareReleased,
    SharesReleased,
)
from council.log.entry import Approval, Entry, release_valid
from council.log.errors import LogRuleError, ThresholdTooLow
from council.log.kinds import AFTER_RETIREMENT, AUTHORS, EFFECTS, Effect, Kind, Role
from council.log.majority import require_majority
from council.log.policy_order import narrows, stricter_freeze
from council.log.state import (
    AppHead,
    LogState,
    OpenRequest,
    PendingRoster,
    Retirement,
    SealerRecord,
    evolve,
    freeze_of,
)
from council.roster import Roster


def _fail(entry: Entry, rule: str, detail: str) -> LogRuleError:
    return LogRuleError(entry.seq, rule, detail)


def check_entry(state: LogState, entry: Entry) -> None:
    """Steps (1)–(8): raise LogRuleError unless `entry` may be the next entry of `state`'s log."""
    _check_position(state, entry)
    if not entry.author_signature_valid():
        raise _fail(entry, "entry.signature", f"the author's signature ({entry.author.role.label} "
                                              f"{entry.author.public_key.hex()[:16]}…) does not verify")
    if state.retired is not None and entry.kind not in AFTER_RETIREMENT:
        raise _fail(entry, "key.retired", f"key {state.key_id} was retired at entry {state.retired.seq}; "
                                          f"a {entry.kind.label} entry is no longer accepted")
    _check_author(state, entry)
    _KIND_RULES[entry.kind](state, entry)


def _check_position(state: LogState, entry: Entry) -> None:
    # (1) key id, (2) sequence number, (3) previous digest, (4) genesis first
    if entry.key_id != state.key_id:
        raise _fail(entry, "entry.key-id", f"entry is for key {entry.key_id!r}, this log is key {state.key_id!r}")
    if entry.seq != state.next_seq:
        raise LogRuleError(state.next_seq, "chain.sequence", f"expected entry {state.next_seq}, "
                                                             f"found entry {entry.seq}")
    if entry.previous != state.head:
        raise _fail(entry, "chain.previous", f"previous digest {entry.previous.hex()[:16]}… is not the digest "
                                             f"of entry {entry.seq - 1} ({state.head.hex()[:16]}…)")
    if (entry.kind is Kind.GENESIS) != (not state.started):
        raise _fail(entry, "chain.genesis", "the first entry, and only the first, is the genesis entry")


def _check_author(state: LogState, entry: Entry) -> None:
    # (7) the role may author this kind, and the key holds that role now
    role, key = entry.author.role, entry.author.public_key
    if role not in AUTHORS[entry.kind]:
        allowed = " or ".join(sorted(r.label for r in AUTHORS[entry.kind]))
        raise _fail(entry, "author.role", f"a {entry.kind.label} entry is authored by {allowed}, not {role.label}")
    if role is Role.OPERATOR:
        operators = _operator_keys(state, entry)
        if key not in operators:
            raise _fail(entry, "author.unknown", f"key {key.hex()[:16]}… is not an operator of the current roster")
    elif role is Role.MEMBER:
        members = set(state.member_keys)
        if entry.kind is Kind.EPOCH_COMMITTED and state.pending is not None:
            members |= {m.signing_key for m in state.pending.roster.members}
        if key not in members:
            raise _fail(entry, "author.unknown", f"key {key.hex()[:16]}… is not a member of the current roster")
    elif state.admitted_sealer(key) is None:
        raise _fail(entry, "author.unknown", f"sealer key {key.hex()[:16]}… is not admitted in this log"
                                             + (" (revoked)" if state.is_revoked(key) else ""))


def _operator_keys(state: LogState, entry: Entry) -> Mapping[bytes, str]:
    if isinstance(entry.body, Genesis):
        return {o.signing_key: o.name for o in entry.body.roster.operators}
    return state.operator_keys


def quorum_roster(state: LogState, entry: Entry) -> Roster:
    """The roster whose members approve `entry`: the current epoch's (genesis: its own)."""
    if isinstance(entry.body, Genesis):
        return entry.body.roster
    if state.roster is None:
        raise _fail(entry, "chain.genesis", "no genesis entry yet")
    return state.roster


def approvers(state: LogState, entry: Entry, approvals: Iterable[Approval]) -> tuple[bytes, ...]:
    """Step (9): the distinct members whose approval verifies; LogRuleError on any bad approval."""
    roster = quorum_roster(state, entry)
    members = state.member_keys if roster is state.roster else {m.signing_key: m.name for m in roster.members}
    seen: list[bytes] = []
    for a in approvals:
        if a.member_key not in members:
            raise _fail(entry, "approval.member", f"approval by key {a.member_key.hex()[:16]}…, which is not a "
                                                  "member of the epoch that approves this entry")
        if a.member_key in seen:
            raise _fail(entry, "approval.duplicate", f"member {members[a.member_key]} approves twice")
        if not a.is_valid_for(entry):
            raise _fail(entry, "approval.signature", f"the approval of member {members[a.member_key]} "
                                                     "does not verify")
        seen.append(a.member_key)
    if len(seen) < roster.threshold:
        raise _fail(entry, "quorum", f"{len(seen)} valid approvals, {roster.threshold} needed (t of the "
                                     "epoch current before this entry)")
    return tuple(seen)


def apply(state: LogState, entry: Entry, approvals: Iterable[Approval], now: int | None,
          reviewed: bool = False) -> LogState:
    """Fold an accepted entry into the state: steps (1)–(10), or LogRuleError.

    `now` is when this node saw the entry accepted (unix ms), kept for waiting periods; pass the
    time recorded with the entry when re-folding a stored log, and None when auditing.
    `reviewed`: the caller already ran `check_entry` on these very entry bytes against a state with
    this head (a member accepting the entry it approved); (5)–(8) then hold again, as they depend
    only on the state, which the head fixes, and the entry, so only (1)–(4) and (9) are checked.
    """
    if reviewed:
        _check_position(state, entry)
    else:
        check_entry(state, entry)
    approvers(state, entry, approvals)
    return fold(state, entry, now)


def fold(state: LogState, entry: Entry, now: int | None) -> LogState:
    """Step (10) alone: the effect of an entry already known to pass (1)–(9)."""
    return evolve(state, next_seq=entry.seq + 1, head=entry.digest, **_EFFECTS[entry.kind](state, entry, now))


def classify(state: LogState, entry: Entry) -> Effect:
    """Widening, narrowing or record; a policy change narrows iff the new policy admits a subset."""
    effect = EFFECTS[entry.kind]
    if effect is not None:
        return effect
    assert isinstance(entry.body, PolicyChanged)
    return Effect.NARROWING if narrows(state.policy, entry.body.policy) else Effect.WIDENING


def apply_narrowing(state: LogState, entry: Entry) -> LogState:
    """A narrowing entry's effect before it is accepted: what the member that makes it does at once.

    The chain position is unchanged (the entry is not yet accepted); the adapter applies its own
    pending narrowing entries on top of the accepted state until they are accepted.
    """
    if classify(state, entry) is not Effect.NARROWING:
        raise _fail(entry, "narrowing.only", f"a {entry.kind.label} entry is not narrowing: it takes effect "
                                             "only once accepted")
    _KIND_RULES[entry.kind](state, entry)
    return replace(state, **_EFFECTS[entry.kind](state, entry, None))


# (8) the kind's own rule -------------------------------------------------------------------------

def _majority(entry: Entry, roster: Roster) -> None:
    try:
        require_majority(roster.threshold, len(roster.members), f"{entry.kind.label}.roster")
    except ThresholdTooLow as exc:
        raise _fail(entry, "roster.majority", str(exc)) from None


def _rule_genesis(state: LogState, entry: Entry) -> None:
    assert isinstance(entry.body, Genesis)
    if entry.seq != 0:
        raise _fail(entry, "chain.genesis", "the genesis entry has sequence number 0")
    _majority(entry, entry.body.roster)


def _rule_roster(state: LogState, entry: Entry) -> None:
    assert isinstance(entry.body, RosterProposed)
    _majority(entry, entry.body.roster)


def _rule_epoch(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, EpochCommitted) and state.roster is not None
    if body.epoch != state.epoch + 1:
        raise _fail(entry, "epoch.sequence", f"epoch {body.epoch} does not follow the current epoch {state.epoch}")
    expected = state.pending.roster if state.pending is not None else state.roster
    if body.roster_digest != expected.digest():
        which = f"the roster accepted at entry {state.pending.seq}" if state.pending else "the current roster"
        raise _fail(entry, "epoch.roster", f"roster digest {body.roster_digest.hex()[:16]}… is not {which} "
                                           f"({expected.digest().hex()[:16]}…): a re-share deals only to a "
                                           "roster accepted in the log")


def _rule_sealer_admitted(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, SealerAdmitted)
    if state.is_revoked(body.public_key):
        raise _fail(entry, "sealer.revoked", f"sealer key {body.public_key.hex()[:16]}… was revoked")
    reasons = sealer_refusals(state, body)
    if reasons:
        raise _fail(entry, "sealer.policy", "the key's logged admission policy refuses it: " + "; ".join(reasons))


def sealer_refusals(state: LogState, body: SealerAdmitted) -> list[str]:
    """Why the logged policy refuses this sealer's measurement and TCB status (empty: it admits).

    The quote itself is checked by each approving member (it is in `body.evidence`); this rule
    makes the log unable to admit what its own policy refuses. Any freeze refuses admissions here:
    the log has no verification time to compare a freeze's `after` with.
    """
    p, reasons = state.admission_policy(), []
    if p.freeze is not None:
        reasons.append("admissions are frozen" + (f" ({p.freeze.reason})" if p.freeze.reason else ""))
    if body.public_key.hex() in p.revoked_sealer_keys:
        reasons.append("the sealer key is revoked")
    if body.tee == "simulated":
        if not p.allow_simulated:
            reasons.append("simulated TEEs are not allowed")
        return reasons
    if body.tcb_status not in p.accepted_tcb_statuses:
        reasons.append(f"TCB status {body.tcb_status} is not accepted")
    if body.tee == "sgx" and body.measurement not in {e.mrenclave for e in p.sgx}:
        reasons.append("MRENCLAVE is not allow-listed")
    if body.tee == "tdx":
        m = body.measurement
        listed = {e.mrtd + b"".join(e.rtmrs) for e in p.tdx}
        if m not in listed:
            reasons.append("MRTD and RTMR0..3 are not allow-listed")
    return reasons


def _rule_unfreeze(state: LogState, entry: Entry) -> None:
    if state.policy.freeze is None:
        raise _fail(entry, "unfreeze.not-frozen", "admissions are not frozen")


def _rule_dump(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, DumpAnnounced)
    newest = state.apps.get(body.app_id)
    if newest is None:
        return
    if body.version <= newest.version:
        raise _fail(entry, "dump.version", f"{body.app_id} version {body.version} does not grow past the "
                                           f"announced version {newest.version} (entry {newest.seq})")
    if body.previous_digest != newest.digest:
        raise _fail(entry, "dump.previous", f"{body.app_id} version {body.version}: previous digest "
                                            f"{body.previous_digest.hex()[:16]}… is not the digest of the announced "
                                            f"version {newest.version} ({newest.digest.hex()[:16]}…)")


def _rule_request(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, RecoveryRequested)
    if body.request_id in state.requests:
        raise _fail(entry, "request.replay", f"request {body.request_id.hex()} is already entry "
                                             f"{state.requests[body.request_id].seq}")
    newest = state.apps.get(body.app_id)
    if newest is None or (body.version, body.dump_digest) == (newest.version, newest.digest):
        return
    allowed = state.older_allowed.get((body.app_id, newest.version))
    if allowed is not None and (allowed.used_version, allowed.used_digest) == (body.version, body.dump_digest):
        return
    raise _fail(entry, "request.newest", f"{body.app_id} version {body.version} ({body.dump_digest.hex()[:16]}…) "
                                         f"is not the newest announced version {newest.version} "
                                         f"({newest.digest.hex()[:16]}…), and no older-dump-allowed entry names it")


def _rule_release(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, ShareReleased)
    if body.member_key != entry.author.public_key:
        raise _fail(entry, "release.member", "a member states only its own release")
    if body.request_id not in state.requests:
        raise _fail(entry, "release.request", f"request {body.request_id.hex()} is not in the log")
    if state.released(body.request_id, body.member_key):
        raise _fail(entry, "release.once", f"this member's release for request {body.request_id.hex()} "
                                           "is already logged")


def _rule_releases(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, SharesReleased)
    if body.request_id not in state.requests:
        raise _fail(entry, "release.request", f"request {body.request_id.hex()} is not in the log")
    members = state.member_keys
    for s in body.statements:
        who = members.get(s.member_key)
        if who is None:
            raise _fail(entry, "release.member", f"statement by key {s.member_key.hex()[:16]}…, which is not a "
                                                 "member of the current roster")
        if not release_valid(s, state.key_id, body.request_id):
            raise _fail(entry, "release.signature", f"{who}'s release statement does not verify")
        if state.released(body.request_id, s.member_key):
            raise _fail(entry, "release.once", f"{who}'s release for request {body.request_id.hex()} "
                                               "is already logged")


def _rule_older(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, OlderDumpAllowed)
    newest = state.apps.get(body.app_id)
    if newest is None or (newest.version, newest.digest) != (body.skipped_version, body.skipped_digest):
        got = f"version {newest.version}" if newest else "no announcement"
        raise _fail(entry, "older.newest", f"the skipped version {body.skipped_version} is not {body.app_id}'s "
                                           f"newest announced dump ({got})")
    announced = newest.digest_of(body.used_version)
    if announced is not None and announced != body.used_digest:
        raise _fail(entry, "older.used", f"version {body.used_version} was announced with digest "
                                         f"{announced.hex()[:16]}…, not {body.used_digest.hex()[:16]}…")


def _rule_rotate(state: LogState, entry: Entry) -> None:
    body = entry.body
    assert isinstance(body, KeyRotated)
    if state.successor is not None:
        raise _fail(entry, "rotate.once", f"key {state.key_id} already names successor {state.successor}")
    if body.successor_key_id == state.key_id:
        raise _fail(entry, "rotate.self", "a key cannot be its own successor")


def _no_rule(state: LogState, entry: Entry) -> None:
    return None


_KIND_RULES: Final[dict[Kind, Callable[[LogState, Entry], None]]] = {
    Kind.GENESIS: _rule_genesis, Kind.ROSTER_PROPOSED: _rule_roster, Kind.EPOCH_COMMITTED: _rule_epoch,
    Kind.POLICY_CHANGED: _no_rule, Kind.SEALER_ADMITTED: _rule_sealer_admitted, Kind.SEALER_REVOKED: _no_rule,
    Kind.FREEZE: _no_rule, Kind.UNFREEZE: _rule_unfreeze, Kind.ADVISORY_FORBIDDEN: _no_rule,
    Kind.DUMP_ANNOUNCED: _rule_dump, Kind.RECOVERY_REQUESTED: _rule_request, Kind.SHARE_RELEASED: _rule_release,
    Kind.OLDER_DUMP_ALLOWED: _rule_older, Kind.KEY_ROTATED: _rule_rotate, Kind.KEY_RETIRED: _no_rule,
    Kind.SHARES_RELEASED: _rule_releases,
}


# (10) effects --------------------------------------------------------------------------------------

Changes = dict[str, Any]
Effector = Callable[[LogState, Entry, int | None], Changes]


def _eff_genesis(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, Genesis)
    return dict(roster=b.roster, epoch=b.epoch, public_key=b.public_key, transcript_digest=b.transcript_digest)


def _eff_roster(s: LogState, e: Entry, now: int | None) -> Changes:
    assert isinstance(e.body, RosterProposed)
    return dict(pending=PendingRoster(e.body.roster, e.seq))


def _eff_epoch(s: LogState, e: Entry, now: int | None) -> Changes:
    assert isinstance(e.body, EpochCommitted)
    roster = s.pending.roster if s.pending is not None else s.roster
    return dict(roster=roster, epoch=e.body.epoch, transcript_digest=e.body.transcript_digest, pending=None)


def _eff_policy(s: LogState, e: Entry, now: int | None) -> Changes:
    assert isinstance(e.body, PolicyChanged)
    return dict(policy=e.body.policy)


def _eff_admit(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, SealerAdmitted)
    return dict(sealers={**s.sealers, b.public_key: SealerRecord(b.public_key, b.tee, b.measurement,
                                                                       b.tcb_status, e.seq)})


def _eff_revoke(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, SealerRevoked)
    old = s.sealers.get(b.public_key) or SealerRecord(b.public_key, "", b"", "", None)
    if old.revoked_seq is not None:
        return {}
    return dict(sealers={**s.sealers, b.public_key: replace(old, revoked_seq=e.seq, revoke_reason=b.reason)})


def _eff_freeze(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, Freeze)
    freeze = stricter_freeze(s.policy.freeze, freeze_of(b.after_unix_ms, b.reason))
    return dict(policy=replace(s.policy, freeze=freeze))


def _eff_unfreeze(s: LogState, e: Entry, now: int | None) -> Changes:
    return dict(policy=replace(s.policy, freeze=None))


def _eff_advisory(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, AdvisoryForbidden)
    forbidden = tuple(sorted(set(s.policy.forbidden_advisories) | {b.advisory_id}))
    return dict(policy=replace(s.policy, forbidden_advisories=forbidden))


def _eff_dump(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, DumpAnnounced)
    head = AppHead(b.app_id, b.version, b.dump_digest, e.seq, e.author.public_key, s.apps.get(b.app_id))
    return dict(apps={**s.apps, b.app_id: head})


def _eff_request(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, RecoveryRequested)
    return dict(requests={**s.requests, b.request_id: OpenRequest(b, e.seq, e.author.public_key, now)})


def _eff_release(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, ShareReleased)
    members = s.releases.get(b.request_id, frozenset()) | {b.member_key}
    return dict(releases={**s.releases, b.request_id: members})


def _eff_releases(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, SharesReleased)
    members = s.releases.get(b.request_id, frozenset()) | {st.member_key for st in b.statements}
    return dict(releases={**s.releases, b.request_id: members})


def _eff_older(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, OlderDumpAllowed)
    return dict(older_allowed={**s.older_allowed, (b.app_id, b.skipped_version): b})


def _eff_rotate(s: LogState, e: Entry, now: int | None) -> Changes:
    assert isinstance(e.body, KeyRotated)
    return dict(successor=e.body.successor_key_id)


def _eff_retire(s: LogState, e: Entry, now: int | None) -> Changes:
    b = e.body
    assert isinstance(b, KeyRetired)
    return dict(retired=Retirement(e.seq, b.waiting_period_ms, b.reason, now))


_EFFECTS: Final[dict[Kind, Effector]] = {
    Kind.GENESIS: _eff_genesis, Kind.ROSTER_PROPOSED: _eff_roster, Kind.EPOCH_COMMITTED: _eff_epoch,
    Kind.POLICY_CHANGED: _eff_policy, Kind.SEALER_ADMITTED: _eff_admit, Kind.SEALER_REVOKED: _eff_revoke,
    Kind.FREEZE: _eff_freeze, Kind.UNFREEZE: _eff_unfreeze, Kind.ADVISORY_FORBIDDEN: _eff_advisory,
    Kind.DUMP_ANNOUNCED: _eff_dump, Kind.RECOVERY_REQUESTED: _eff_request, Kind.SHARE_RELEASED: _eff_release,
    Kind.OLDER_DUMP_ALLOWED: _eff_older, Kind.KEY_ROTATED: _eff_rotate, Kind.KEY_RETIRED: _eff_retire,
    Kind.SHARES_RELEASED: _eff_releases,
}
