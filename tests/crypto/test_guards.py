"""Two checks each caught by a single test before issue 3/7: a key bundle needs `t` distinct valid
commit signatures (not fewer, duplicates and strangers do not count), and a re-share dealer's
constant term must be its verification share Y_i of the previous epoch (checked per dealing, in the
judgement, and again by a transcript check that catch-up relies on)."""

from __future__ import annotations

import pytest
from crypto_helpers import corrupt_constant, members, new_shares, receiver_outcome, run_dkg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.bundle import BundleError, KeyBundle, valid_signers
from council.crypto.drbg import seeded
from council.crypto.group import P256, Scalar
from council.crypto.judge import check_dealing
from council.crypto.messages import CommitSignature, EpochCommit, sign
from council.crypto.signing import Signer
from council.crypto.transcript import Transcript, check_transcript
from council.errors import KeycouncilError
from council.local import participants_for, reshare_spec, roster_of, run_phases
from council.roster import MemberCard, Roster

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _council(n: int, t: int, seed: int) -> tuple[list[Signer], Roster, EpochCommit]:
    rng = seeded(f"guards-{seed}".encode())
    signers = [Signer.from_seed(rng(32)) for _ in range(n)]
    cards = tuple(MemberCard(f"m{i}", f"in-process:m{i}", s.public_key,
                             P256.base_mul(Scalar.random(rng)).to_bytes(), "none") for i, s in enumerate(signers))
    roster = Roster(t, cards)
    return signers, roster, EpochCommit("k", 3, roster.digest(), t, P256.base_mul(Scalar.random(rng)),
                                        bytes(32), bytes(32))


def _sig(signers: list[Signer], member: int, commit: EpochCommit) -> CommitSignature:
    return CommitSignature(member, sign(signers[member - 1], EpochCommit.KIND, member, commit.to_bytes()).signature)


@SETTINGS
@given(st.data())
def test_a_bundle_verifies_exactly_with_t_distinct_valid_signatures(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 7), "n")
    t = data.draw(st.integers(1, n), "t")
    signers, roster, commit = _council(n, t, data.draw(st.integers(0, 3), "seed"))
    good = data.draw(st.sets(st.integers(1, n), max_size=n), "signers")
    other = EpochCommit("k", 4, commit.roster_digest, t, commit.public_key, bytes(32), bytes(32))
    sigs = [_sig(signers, m, commit) for m in sorted(good)]
    sigs += [_sig(signers, m, commit) for m in sorted(good)]                       # duplicates count once
    sigs += [_sig(signers, m, other) for m in range(1, n + 1) if m not in good]    # over another commit
    sigs += [CommitSignature(n + 1, sigs[0].signature)] if sigs else []           # a stranger's index
    sigs += [CommitSignature(m, bytes(64)) for m in range(1, n + 1) if m not in good]  # garbage
    bundle = KeyBundle(commit, tuple(sigs), roster)
    assert sorted(valid_signers(commit, bundle.signatures, roster)) == sorted(good)
    if len(good) >= t:
        bundle.verify(roster.digest())
    else:
        with pytest.raises(BundleError, match=f"{len(good)} valid commit signatures, {t} needed"):
            bundle.verify()


def test_t_minus_one_signatures_and_one_forged_do_not_make_a_bundle() -> None:
    signers, roster, commit = _council(5, 3, 9)
    sigs = (_sig(signers, 1, commit), _sig(signers, 2, commit), CommitSignature(3, _sig(signers, 4, commit).signature))
    with pytest.raises(BundleError, match="2 valid commit signatures, 3 needed"):
        KeyBundle(commit, sigs, roster).verify()


@pytest.fixture(scope="module")
def epoch0() -> tuple[list, object, dict]:
    old = members("go", 5)
    _, ps = run_dkg(old, 3)
    return old, receiver_outcome(ps), new_shares(ps)


@pytest.mark.parametrize("bad", [1, 3, 5])
def test_a_wrong_constant_term_is_refused_per_dealing_in_the_judgement_and_in_the_transcript(
        epoch0: tuple[list, object, dict], bad: int) -> None:
    old, o0, s0 = epoch0
    new = members("gn", 4)
    spec = reshare_spec(roster_of(old, 3).committee(), roster_of(new, 3).committee(), "k", o0)
    ps = participants_for(spec, old, new, s0)
    forged: list = []

    def tamper(phase: str, m):  # type: ignore[no-untyped-def]
        if phase == "deal" and m.sender == bad:
            m = corrupt_constant(spec, old[bad - 1], m)
            forged.append(m)
        return m
    run_phases(ps, tamper=tamper)
    with pytest.raises(KeycouncilError, match="constant term is not its verification share Y_i"):
        check_dealing(spec, forged[0])
    outcome = receiver_outcome(ps)
    assert set(outcome.judgement.disqualified) == {bad}
    assert outcome.public.public_key == o0.public.public_key
    dealings, responses = next(p for p in ps if p.outcome is not None and p.receiver_index).transcript
    report = check_transcript(spec, Transcript(dealings, responses, ()))
    assert set(report.judgement.disqualified) == {bad}
    assert report.public.public_key == o0.public.public_key
