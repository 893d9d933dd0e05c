"""Property tests of DKG and re-share over random (n, t) and random re-share targets."""

from __future__ import annotations

import itertools
import random

import pytest
from crypto_helpers import (
    corrupt_constant,
    members,
    new_shares,
    receiver_outcome,
    redeal,
    run_dkg,
    run_reshare,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.crypto import complaint as cpl
from council.crypto import decryption as dec
from council.crypto import kem
from council.crypto.ceremony import TRANSITIONS, State
from council.crypto.group import Point
from council.crypto.lagrange import lagrange_at_zero
from council.crypto.messages import Response, sign
from council.errors import CeremonyError, NotEnoughShares, ProofError

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def committee_sizes(draw: st.DrawFn, max_n: int = 20) -> tuple[int, int]:
    n = draw(st.integers(1, max_n))
    return n, draw(st.integers(1, n))


def decrypt_with(outcome, shares, subset, label=b"label"):
    """Encapsulate to the outcome's key, then decapsulate with the members in `subset`."""
    y = outcome.public.public_key
    ct, key = kem.encapsulate(y, label)
    ctx = dec.DecryptionContext("k", outcome.commit.epoch, b"req")
    ds = [dec.create_share(ctx, ct, label, j, shares[j]) for j in subset]
    res = dec.combine(ctx, ct, ds, outcome.public.verification_shares, len(subset))
    return kem.derive_data_key(res.shared_point, ct.r_point, y, label) == key


@SETTINGS
@given(committee_sizes(), st.randoms(use_true_random=False))
def test_dkg_any_t_decapsulate_and_t_minus_1_do_not(size, rnd: random.Random) -> None:
    n, t = size
    _, ps = run_dkg(members("m", n), t)
    outcome, shares = receiver_outcome(ps), new_shares(ps)
    assert len(shares) == n and all(p.state is State.COMMITTED for p in ps)
    subset = rnd.sample(sorted(shares), t)
    assert decrypt_with(outcome, shares, subset)
    if t > 1:
        y = outcome.public.public_key
        ct, _ = kem.encapsulate(y, b"x")
        fewer = subset[:-1]
        lam = lagrange_at_zero(fewer)
        guess = Point.identity()
        for j in fewer:
            guess = guess + ct.r_point * (shares[j] * lam[j])
        assert guess != _true_z(ct, shares, t)
        ctx = dec.DecryptionContext("k", 0, b"r")
        with pytest.raises(NotEnoughShares):
            dec.combine(ctx, ct, [dec.create_share(ctx, ct, b"x", j, shares[j]) for j in fewer],
                        outcome.public.verification_shares, t)


def _true_z(ct, shares, t):
    first = sorted(shares)[:t]
    lam = lagrange_at_zero(first)
    z = Point.identity()
    for j in first:
        z = z + ct.r_point * (shares[j] * lam[j])
    return z


@st.composite
def reshare_plans(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    n, t = draw(committee_sizes(12))
    n2 = draw(st.integers(1, 12))
    t2 = draw(st.integers(1, n2))
    stay = draw(st.integers(0, min(n, n2)))  # 0: fully disjoint; n == n2 == stay: same committee
    return n, t, n2, t2, stay


@SETTINGS
@given(reshare_plans(), st.randoms(use_true_random=False))
def test_reshare_keeps_the_key_and_any_t2_new_shares_decapsulate(plan, rnd: random.Random) -> None:
    n, t, n2, t2, stay = plan
    old = members("o", n)
    _, ps = run_dkg(old, t)
    outcome0, shares0 = receiver_outcome(ps), new_shares(ps)
    new = rnd.sample(old, stay) + members("n", n2 - stay)
    rnd.shuffle(new)
    _, ps2 = run_reshare(old, t, new, t2, outcome0, shares0)
    outcome1, shares1 = receiver_outcome(ps2), new_shares(ps2)
    assert outcome1.public.public_key == outcome0.public.public_key
    assert outcome1.commit.epoch == 1 and len(shares1) == n2
    assert decrypt_with(outcome1, shares1, rnd.sample(sorted(shares1), t2))
    # a second re-share back to a fresh committee: the key still never changes
    third = members("z", 3)
    _, ps3 = run_reshare(new, t2, third, 2, outcome1, shares1)
    assert receiver_outcome(ps3).public.public_key == outcome0.public.public_key


def test_shares_of_two_epochs_never_combine() -> None:
    old = members("o", 4)
    _, ps = run_dkg(old, 3)
    o0, s0 = receiver_outcome(ps), new_shares(ps)
    _, ps2 = run_reshare(old, 3, old, 3, o0, s0)
    o1, s1 = receiver_outcome(ps2), new_shares(ps2)
    y = o0.public.public_key
    ct, key = kem.encapsulate(y, b"l")
    ctx1 = dec.DecryptionContext("k", 1, b"req")
    mixed = [dec.create_share(ctx1, ct, b"l", 1, s0[1])] + [dec.create_share(ctx1, ct, b"l", j, s1[j]) for j in (2, 3)]
    with pytest.raises(NotEnoughShares, match="member 1"):
        dec.combine(ctx1, ct, mixed, o1.public.verification_shares, 3)
    lam = lagrange_at_zero([1, 2, 3])
    raw = Point.identity()
    for s in mixed:
        raw = raw + s.d * lam[s.index]
    assert kem.derive_data_key(raw, ct.r_point, y, b"l") != key


@pytest.mark.parametrize(("n", "t"), [(4, 2), (5, 3), (7, 5)])
def test_dealer_with_one_bad_share_is_disqualified_by_complaint(n: int, t: int) -> None:
    ms = members("m", n)
    spec_holder = {}

    def tamper(phase, msg):
        if phase == "deal" and msg.sender == 2:
            return redeal(spec_holder["spec"], ms[1], msg, bad_share_for=n)
        return msg

    from council.local import dkg_spec, participants_for, roster_of, run_phases
    spec = dkg_spec(roster_of(ms, t).committee(), "k")
    spec_holder["spec"] = spec
    ps = participants_for(spec, [], ms)
    run_phases(ps, tamper=tamper)
    outcome = receiver_outcome(ps)
    assert 2 not in outcome.judgement.qualified
    assert f"complaint by member {n} upheld" in outcome.judgement.disqualified[2]
    assert all(p.state is State.COMMITTED for p in ps)
    assert decrypt_with(outcome, new_shares(ps), list(range(1, t + 1)))


def test_dealer_with_bad_commitment_is_disqualified() -> None:
    ms = members("m", 5)
    from council.local import dkg_spec, participants_for, roster_of, run_phases
    spec = dkg_spec(roster_of(ms, 3).committee(), "k")
    ps = participants_for(spec, [], ms)
    run_phases(ps, tamper=lambda ph, m: redeal(spec, ms[3], m, bad_commitment=True)
               if ph == "deal" and m.sender == 4 else m)
    outcome = receiver_outcome(ps)
    assert "complaint by member" in outcome.judgement.disqualified[4]
    assert outcome.judgement.qualified == (1, 2, 3, 5)


def test_reshare_dealer_with_wrong_constant_term_is_disqualified() -> None:
    old = members("o", 5)
    _, ps = run_dkg(old, 3)
    o0, s0 = receiver_outcome(ps), new_shares(ps)
    new = members("n", 4)
    from council.local import participants_for, reshare_spec, roster_of, run_phases
    spec = reshare_spec(roster_of(old, 3).committee(), roster_of(new, 3).committee(), "k", o0)
    ps2 = participants_for(spec, old, new, s0)
    run_phases(ps2, tamper=lambda ph, m: corrupt_constant(spec, old[0], m) if ph == "deal" and m.sender == 1 else m)
    outcome = receiver_outcome(ps2)
    assert "constant term is not its verification share" in outcome.judgement.disqualified[1]
    assert outcome.public.public_key == o0.public.public_key
    assert decrypt_with(outcome, new_shares(ps2), [2, 3, 4])


def test_false_complaint_is_rejected_and_blames_the_complainer() -> None:
    ms = members("m", 5)
    from council.local import dkg_spec, participants_for, roster_of, run_phases
    spec = dkg_spec(roster_of(ms, 3).committee(), "k")
    ps = participants_for(spec, [], ms)
    dealings = {}

    def tamper(phase, msg):
        if phase == "deal":
            dealings[msg.sender] = msg
        if phase == "check" and msg.sender == 5:
            from council.crypto.messages import Dealing
            d = Dealing.from_bytes(dealings[1].body)
            c = cpl.make_complaint(spec.digest(), 1, 5, ms[4].encryption_secret, d)
            return sign(ms[4].signer, Response.KIND, 5, Response(spec.digest(), 5, (c,)).to_bytes())
        return msg

    run_phases(ps, tamper=tamper)
    outcome = receiver_outcome(ps)
    assert 1 in outcome.judgement.qualified
    assert "complained falsely" in outcome.judgement.blamed[5]
    assert 5 not in outcome.judgement.qualified
    assert decrypt_with(outcome, new_shares(ps), [1, 2, 3])


def test_too_few_qualified_dealers_fails_cleanly() -> None:
    ms = members("m", 4)
    from council.local import dkg_spec, participants_for, roster_of, run_phases
    spec = dkg_spec(roster_of(ms, 3).committee(), "k")
    ps = participants_for(spec, [], ms)
    with pytest.raises(CeremonyError, match="only 2 qualified dealers, 3 needed"):
        run_phases(ps, offline=frozenset({0, 1}))
    assert all(p.state is State.FAILED for p in ps[2:])


def test_offline_members_up_to_n_minus_t() -> None:
    ms = members("m", 7)
    _, ps = run_dkg(ms, 4, offline=frozenset({0, 3, 6}))
    outcome = receiver_outcome(ps)
    assert outcome.judgement.qualified == (2, 3, 5, 6)
    assert "no dealing received" in outcome.judgement.disqualified[1]


def test_mauled_kem_ciphertexts_get_no_decryption_share() -> None:
    _, ps = run_dkg(members("m", 3), 2)
    outcome, shares = receiver_outcome(ps), new_shares(ps)
    ct, _ = kem.encapsulate(outcome.public.public_key, b"label-A")
    ctx = dec.DecryptionContext("k", 0, b"r")
    from council.crypto.group import G
    from council.crypto.kem import KemCiphertext
    shifted = KemCiphertext(ct.r_point + G, ct.proof)
    with pytest.raises(ProofError):
        dec.create_share(ctx, shifted, b"label-A", 1, shares[1])
    with pytest.raises(ProofError):
        dec.create_share(ctx, ct, b"label-B", 1, shares[1])


def test_bad_decryption_share_is_caught_and_named() -> None:
    _, ps = run_dkg(members("m", 5), 3)
    outcome, shares = receiver_outcome(ps), new_shares(ps)
    ct, key = kem.encapsulate(outcome.public.public_key, b"l")
    ctx = dec.DecryptionContext("k", 0, b"r")
    ds = [dec.create_share(ctx, ct, b"l", j, shares[j]) for j in range(1, 6)]
    from council.crypto.group import G
    ds[1] = dec.DecryptionShare(2, ds[1].d + G, ds[1].proof)
    res = dec.combine(ctx, ct, ds, outcome.public.verification_shares, 3)
    assert 2 in res.culprits and "member 2" in res.culprits[2]
    assert res.used == (1, 3, 4)
    assert kem.derive_data_key(res.shared_point, ct.r_point, outcome.public.public_key, b"l") == key


def test_state_table_refuses_out_of_order_transitions() -> None:
    spec, ps = run_dkg(members("m", 3), 2)
    p = ps[0]
    with pytest.raises(CeremonyError, match="cannot go from COMMITTED"):
        p.deal()
    for state, allowed in TRANSITIONS.items():
        assert state not in allowed
    assert list(itertools.chain.from_iterable(TRANSITIONS.values())).count(State.INIT) == 0


def test_dealer_with_an_undecodable_ciphertext_is_disqualified() -> None:
    from council.crypto.messages import Dealing, LazyShares
    from council.local import dkg_spec, participants_for, roster_of, run_phases
    ms = members("m", 4)
    spec = dkg_spec(roster_of(ms, 2).committee(), "k")

    def tamper(phase, msg):
        if phase != "deal" or msg.sender != 3:
            return msg
        d = Dealing.from_bytes(msg.body)
        raw = {j: d.encrypted_shares.raw(j) for j in d.encrypted_shares}
        raw[1] = b"\x05" + raw[1][1:]  # not a SEC1 point: only member 1 notices, anyone can check
        forged = Dealing(d.ceremony, 3, d.commitments, d.pok, LazyShares(raw, 3))
        return sign(ms[2].signer, Dealing.KIND, 3, forged.to_bytes())

    ps = participants_for(spec, [], ms)
    run_phases(ps, tamper=tamper)
    outcome = receiver_outcome(ps)
    assert "not a valid ciphertext" in outcome.judgement.disqualified[3]
    assert outcome.judgement.qualified == (1, 2, 4)
