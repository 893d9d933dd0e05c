"""The log's rules, one by one: each refusal names the sequence number and the rule."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from log_helpers import refused

from council.attestation.policy_model import Policy, SgxAllow, TdxAllow
from council.log import (
    Effect,
    LogRuleError,
    LogState,
    Role,
    ThresholdTooLow,
    apply,
    apply_narrowing,
    check_entry,
    classify,
    require_majority,
)
from council.log import bodies as b
from council.log.sim import SAMPLE_TIME_MS, Council, sample_log

OP, MEMBER, SEALER = Role.OPERATOR, Role.MEMBER, Role.SEALER
MRENCLAVE = hashlib.sha256(b"enclave").digest()
T0 = SAMPLE_TIME_MS


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def with_sealer(c: Council) -> Council:
    c.add(c.operator(), OP, b.PolicyChanged(Policy(sgx=(SgxAllow(MRENCLAVE),))))
    c.add(c.operator(), OP, b.SealerAdmitted(c.sealer().public_key, "sgx", MRENCLAVE, "UpToDate", "sgx-dcap", b"q"))
    return c


# majority ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("t", "n"), [(1, 1), (2, 3), (3, 5), (4, 7), (1, 2), (2, 2)])
def test_majority_thresholds_pass(t: int, n: int) -> None:
    require_majority(t, n) if 2 * t > n else None


@pytest.mark.parametrize(("t", "n"), [(1, 2), (2, 4), (1, 7), (3, 7), (3, 6)])
def test_threshold_at_most_half_is_refused_with_the_rule(t: int, n: int) -> None:
    with pytest.raises(ThresholdTooLow) as info:
        require_majority(t, n)
    assert "threshold t must exceed n/2 so that two conflicting entries cannot both be approved" in str(info.value)
    assert f"t = {t}, n = {n}" in str(info.value) and f"at least {n // 2 + 1}" in str(info.value)


def test_a_minority_roster_is_refused_in_genesis_and_proposals() -> None:
    c = Council.create(n=4, t=2, genesis=False)
    err = refused(c, "op1", OP, c.genesis_body(), "roster.majority")
    assert "must exceed n/2" in str(err)
    c = Council.create(n=5, t=3)
    rogue = c.make_roster(["m1"], 1)
    require_majority(1, 1)  # 1-of-1 is a majority of itself ...
    refused(c, "op1", OP, b.RosterProposed(c.make_roster(["m1", "m2", "m3", "m4"], 2)), "roster.majority")
    # ... but a roster change still needs t of the current epoch: the takeover of the issue fails.
    refused(c, "op1", OP, b.RosterProposed(rogue), "quorum", names=["m1"])


def test_the_takeover_needs_t_approvals_and_an_accepted_roster() -> None:
    c = Council.create(n=7, t=4)
    rogue = c.make_roster(["mevil"], 1)
    refused(c, "op1", OP, b.RosterProposed(rogue), "quorum", names=["m1", "m2", "m3"])
    # an epoch commit to a roster that was never accepted in the log is refused
    refused(c, "m1", MEMBER, b.EpochCommitted(1, rogue.digest(), h("t")), "epoch.roster")


# chain and authors -------------------------------------------------------------------------------

def test_chain_position_rules() -> None:
    c = Council.create()
    unfreeze_free = b.Freeze(None, "x")
    with pytest.raises(LogRuleError) as info:
        c.accept(c.entry(c.operator(), OP, unfreeze_free, seq=5))
    assert (info.value.seq, info.value.rule) == (1, "chain.sequence")
    with pytest.raises(LogRuleError) as info:
        c.accept(c.entry(c.operator(), OP, unfreeze_free, previous=h("other")))
    assert (info.value.seq, info.value.rule) == (1, "chain.previous")
    refused(c, "op1", OP, c.genesis_body(), "chain.genesis")
    fresh = Council.create(genesis=False)
    refused(fresh, "op1", OP, unfreeze_free, "chain.genesis")


def test_an_entry_for_another_key_is_refused() -> None:
    a, other = Council.create(key_id="key-a"), Council.create(key_id="key-b")
    proposal = other.entry(other.operator(), OP, b.RosterProposed(other.make_roster(["m1", "m2", "m3"], 2)))
    with pytest.raises(LogRuleError) as info:
        apply(replace(a.state, next_seq=proposal.seq, head=proposal.previous), proposal,
              other.approvals(proposal), None)
    assert info.value.rule == "entry.key-id"


def test_author_table_is_enforced() -> None:
    c = with_sealer(Council.create())
    refused(c, "m1", MEMBER, b.RosterProposed(c.make_roster(["m1", "m2", "m3"], 2)), "author.role")
    refused(c, "op1", OP, b.DumpAnnounced("wallet", 1, h("d1")), "author.role")
    refused(c, "op1", OP, b.ShareReleased(bytes(16), c.operator().public_key), "author.role")
    stranger = c.sealer("stranger")
    refused(c, "stranger", SEALER, b.DumpAnnounced("wallet", 1, h("d1")), "author.unknown")
    del stranger
    c.signer("m9")
    refused(c, "m9", MEMBER, b.Freeze(None, "not a member"), "author.unknown")
    c.operators["op9"] = c.signer("m9")
    refused(c, "op9", OP, b.Unfreeze(), "author.unknown")


def test_a_bad_author_signature_is_refused() -> None:
    c = Council.create()
    entry = c.entry(c.operator(), OP, b.Freeze(None, "x"))
    forged = replace(entry, signature=bytes(64))
    with pytest.raises(LogRuleError, match="entry.signature"):
        c.accept(forged)


# quorum -------------------------------------------------------------------------------------------

def test_fewer_than_t_approvals_or_bad_ones_are_refused() -> None:
    c = Council.create(n=5, t=3)
    refused(c, "m1", MEMBER, b.Freeze(None, "x"), "quorum", names=["m1", "m2"])
    entry = c.entry(c.signer("m1"), MEMBER, b.Freeze(None, "x"))
    good = c.approvals(entry, ["m1", "m2", "m3"])
    with pytest.raises(LogRuleError, match="approval.signature"):
        apply(c.state, entry, [*good[:2], replace(good[2], signature=bytes(64))], None)
    with pytest.raises(LogRuleError, match="approval.duplicate"):
        apply(c.state, entry, [good[0], good[0], good[1]], None)
    c.signer("m9")
    with pytest.raises(LogRuleError, match="approval.member"):
        apply(c.state, entry, [*good[:2], *c.approvals(entry, ["m9"])], None)
    assert apply(c.state, entry, good, None).next_seq == 2


def test_quorum_is_the_epoch_current_before_the_entry() -> None:
    c = Council.create(n=3, t=2)
    nxt = c.make_roster(["m4", "m5", "m6"], 2)
    c.add(c.operator(), OP, b.RosterProposed(nxt))
    commit = c.entry(c.signer("m4"), MEMBER, b.EpochCommitted(1, nxt.digest(), h("t1")))
    with pytest.raises(LogRuleError, match="approval.member"):
        c.accept(commit, ["m4", "m5"])
    c.accept(commit, ["m1", "m2"])
    assert c.state.epoch == 1 and c.state.roster == nxt and c.state.pending is None
    refused(c, "m4", MEMBER, b.Freeze(None, "x"), "approval.member", names=["m1", "m2"])
    c.add(c.signer("m4"), MEMBER, b.Freeze(None, "x"), names=["m5", "m6"])


def test_epoch_numbers_follow_and_refresh_keeps_the_roster() -> None:
    c = Council.create(n=3, t=2)
    refused(c, "m1", MEMBER, b.EpochCommitted(2, c.roster.digest(), h("t")), "epoch.sequence")
    c.add(c.signer("m1"), MEMBER, b.EpochCommitted(1, c.roster.digest(), h("t")))
    assert c.state.epoch == 1


# policy, sealers, freeze ---------------------------------------------------------------------------

def test_policy_change_classification() -> None:
    c = Council.create()
    base = Policy(sgx=(SgxAllow(MRENCLAVE),), accepted_tcb_statuses=("UpToDate", "SWHardeningNeeded"))
    c.add(c.operator(), OP, b.PolicyChanged(base))

    def effect(p: Policy) -> Effect:
        return classify(c.state, c.entry(c.operator(), OP, b.PolicyChanged(p)))

    assert effect(base) is Effect.NARROWING
    assert effect(replace(base, accepted_tcb_statuses=("UpToDate",))) is Effect.NARROWING
    assert effect(replace(base, forbidden_advisories=("INTEL-SA-1",))) is Effect.NARROWING
    assert effect(replace(base, sgx=(SgxAllow(MRENCLAVE, mrsigner=bytes(32)),))) is Effect.NARROWING
    assert effect(replace(base, sgx=())) is Effect.NARROWING
    assert effect(replace(base, sgx=(*base.sgx, SgxAllow(h("other"))))) is Effect.WIDENING
    assert effect(replace(base, accepted_tcb_statuses=("OutOfDate",))) is Effect.WIDENING
    assert effect(replace(base, allow_simulated=True)) is Effect.WIDENING
    assert effect(replace(base, tdx=(TdxAllow(bytes(48), (bytes(48),) * 4),))) is Effect.WIDENING


def test_sealer_admission_follows_the_logged_policy() -> None:
    c = Council.create()
    key = c.sealer().public_key
    admit = b.SealerAdmitted(key, "sgx", MRENCLAVE, "UpToDate", "sgx-dcap", b"q")
    err = refused(c, "op1", OP, admit, "sealer.policy")
    assert "MRENCLAVE is not allow-listed" in str(err)
    c.add(c.operator(), OP, b.PolicyChanged(Policy(sgx=(SgxAllow(MRENCLAVE),))))
    err = refused(c, "op1", OP, replace(admit, tcb_status="OutOfDate"), "sealer.policy")
    assert "TCB status OutOfDate" in str(err)
    c.add(c.signer("m2"), MEMBER, b.Freeze(None, "TCB day"))
    assert "frozen (TCB day)" in str(refused(c, "op1", OP, admit, "sealer.policy"))
    c.add(c.operator(), OP, b.Unfreeze())
    c.add(c.operator(), OP, admit)
    assert c.state.admitted_sealer(key) is not None
    c.add(c.signer("m3"), MEMBER, b.SealerRevoked(key, "compromised"))
    assert c.state.admitted_sealer(key) is None and c.state.is_revoked(key)
    assert key.hex() in c.state.admission_policy().revoked_sealer_keys
    refused(c, "op1", OP, admit, "sealer.revoked")
    refused(c, "sealer1", SEALER, b.DumpAnnounced("wallet", 1, h("d")), "author.unknown")


def test_unfreeze_needs_a_freeze_and_freezes_only_narrow() -> None:
    c = Council.create()
    refused(c, "op1", OP, b.Unfreeze(), "unfreeze.not-frozen")
    c.add(c.signer("m1"), MEMBER, b.Freeze(None, "all"))
    c.add(c.signer("m1"), MEMBER, b.Freeze(T0, "later than T0"))
    assert c.state.frozen is not None and c.state.frozen.after is None  # the stricter freeze stays


def test_narrowing_takes_effect_at_once_on_the_member_that_makes_it() -> None:
    c = Council.create()
    freeze = c.entry(c.signer("m2"), MEMBER, b.Freeze(None, "TCB day"))
    local = apply_narrowing(c.state, freeze)
    assert local.frozen is not None and c.state.frozen is None
    assert (local.next_seq, local.head) == (c.state.next_seq, c.state.head)
    with pytest.raises(LogRuleError, match="narrowing.only"):
        apply_narrowing(c.state, c.entry(c.operator(), OP, b.KeyRetired(0)))
    advisory = apply_narrowing(local, c.entry(c.signer("m2"), MEMBER, b.AdvisoryForbidden("INTEL-SA-00657")))
    assert advisory.forbidden_advisories == ("INTEL-SA-00657",)


# dumps and recovery --------------------------------------------------------------------------------

def test_dump_announcements_chain() -> None:
    c = with_sealer(Council.create())
    s = c.sealer()
    c.add(s, SEALER, b.DumpAnnounced("wallet", 1, h("d1")))
    refused(c, "sealer1", SEALER, b.DumpAnnounced("wallet", 1, h("d1b")), "dump.version")
    refused(c, "sealer1", SEALER, b.DumpAnnounced("wallet", 2, h("d2"), h("wrong")), "dump.previous")
    c.add(s, SEALER, b.DumpAnnounced("wallet", 3, h("d3"), h("d1")))  # versions may skip
    c.add(s, SEALER, b.DumpAnnounced("notes", 7, h("n7"), h("pre-log")))  # a chain older than the log
    head = c.state.newest("wallet")
    assert head is not None and (head.version, head.digest) == (3, h("d3"))
    assert head.digest_of(1) == h("d1") and head.digest_of(2) is None
    assert [a.version for a in head.chain()] == [1, 3]


def request(c: Council, rid: bytes, version: int, digest: bytes, created: int = T0) -> b.RecoveryRequested:
    return b.RecoveryRequested.make(rid, "wallet", version, digest, created)


def test_recovery_requests_name_the_newest_dump_unless_older_is_allowed() -> None:
    c = with_sealer(Council.create())
    s = c.sealer()
    c.add(s, SEALER, b.DumpAnnounced("wallet", 1, h("d1")))
    c.add(s, SEALER, b.DumpAnnounced("wallet", 2, h("d2"), h("d1")))
    err = refused(c, "op1", OP, request(c, b"r" * 16, 1, h("d1")), "request.newest")
    assert "not the newest announced version 2" in str(err)
    refused(c, "op1", OP, b.OlderDumpAllowed("wallet", 3, h("d3"), 1, h("d1"), "x"), "older.newest")
    refused(c, "op1", OP, b.OlderDumpAllowed("wallet", 2, h("d2"), 1, h("other"), "x"), "older.used")
    c.add(c.operator(), OP, b.OlderDumpAllowed("wallet", 2, h("d2"), 1, h("d1"), "v2 fails to verify"))
    c.add(c.operator(), OP, request(c, b"r" * 16, 1, h("d1")))
    refused(c, "op1", OP, request(c, b"r" * 16, 2, h("d2")), "request.replay")
    c.add(c.operator(), OP, request(c, b"s" * 16, 2, h("d2")))


def test_may_release_replay_expiry_and_one_request_per_entry() -> None:
    c = Council.create(n=3, t=2)
    rid, other = b"a" * 16, b"b" * 16
    m1 = c.signer("m1").public_key
    d = c.state.may_release(rid, m1, T0)
    assert (d.allowed, d.rule) == (False, "release.not-in-log")
    c.add(c.operator(), OP, request(c, rid, 1, h("d")), now=T0 + 10)
    assert c.state.request(rid) is not None and c.state.request(rid).accepted_at_ms == T0 + 10  # type: ignore[union-attr]
    assert c.state.may_release(rid, m1, T0 + 1000).allowed
    assert [r.body.request_id for r in c.state.open_requests(T0)] == [rid] and not c.state.open_requests(T0 + 3_600_000)
    # one approval covers one request: the accepted entry names one request id
    assert c.state.may_release(other, m1, T0 + 1000).rule == "release.not-in-log"
    assert c.state.may_release(rid, m1, T0 + 3_600_000).rule == "release.expired"
    assert c.state.may_release(rid, m1, T0 - 10 * 60_000).rule == "release.not-yet-valid"
    assert c.state.may_release(rid, m1, T0 + 1000, released_locally=True).rule == "release.once"
    c.signer("m9")
    assert c.state.may_release(rid, c.signer("m9").public_key, T0).rule == "release.member"
    c.add(c.signer("m1"), MEMBER, b.ShareReleased(rid, m1))
    assert c.state.may_release(rid, m1, T0 + 1000).rule == "release.once"
    assert c.state.may_release(rid, c.signer("m2").public_key, T0 + 1000).allowed
    refused(c, "m1", MEMBER, b.ShareReleased(rid, m1), "release.once")
    refused(c, "m2", MEMBER, b.ShareReleased(rid, m1), "release.member")
    refused(c, "m2", MEMBER, b.ShareReleased(other, c.signer("m2").public_key), "release.request")


def test_a_request_dated_1970_is_logged_but_never_released() -> None:
    c = Council.create(n=3, t=2)
    c.add(c.operator(), OP, request(c, b"c" * 16, 1, h("d"), created=0))
    assert c.state.may_release(b"c" * 16, c.signer("m1").public_key, T0).rule == "release.expired"


# rotation and retirement --------------------------------------------------------------------------

def test_rotation_and_retirement() -> None:
    c = Council.create(n=3, t=2)
    refused(c, "op1", OP, b.KeyRotated("app-key"), "rotate.self")
    c.add(c.operator(), OP, b.KeyRotated("app-key-2"))
    refused(c, "op1", OP, b.KeyRotated("app-key-3"), "rotate.once")
    c.add(c.operator(), OP, request(c, b"q" * 16, 1, h("d")))
    c.add(c.operator(), OP, b.KeyRetired(7_000, "done"), now=T0)
    assert c.state.successor == "app-key-2"
    assert not c.state.erase_due(T0 + 6_999) and c.state.erase_due(T0 + 7_000)
    refused(c, "op1", OP, request(c, b"z" * 16, 1, h("d")), "key.retired")
    refused(c, "op1", OP, b.KeyRetired(0), "key.retired")
    assert c.state.may_release(b"q" * 16, c.signer("m1").public_key, T0).rule == "key.retired"
    c.add(c.signer("m1"), MEMBER, b.ShareReleased(b"q" * 16, c.signer("m1").public_key))
    c.add(c.signer("m1"), MEMBER, b.Freeze(None, "still narrowing"))


def test_check_entry_is_what_a_member_checks_before_approving() -> None:
    c = Council.create(n=3, t=2)
    entry = c.entry(c.operator(), OP, b.RosterProposed(c.make_roster(["m1", "m2", "m3", "m4"], 2)))
    with pytest.raises(LogRuleError, match="roster.majority"):
        check_entry(c.state, entry)


def test_the_whole_sample_log_folds_to_its_state() -> None:
    s = sample_log().state
    assert isinstance(s, LogState)
    assert (s.next_seq, s.epoch, s.threshold, s.successor) == (22, 1, 4, "app-key-2")
    assert s.retired is not None and s.frozen is None and s.forbidden_advisories == ("INTEL-SA-00657",)
    wallet = s.newest("wallet")
    assert wallet is not None and wallet.version == 2
    assert len(s.requests) == 2 and sum(len(v) for v in s.releases.values()) == 7
