"""The BN254 signing key inside the pure ceremony machine: a DKG yields both keys, a re-share
carries both (the G2 key unchanged), an existing key gets a signing key by a re-share, and bad
BN254 sub-dealings are named. Ceremonies without `bn254` are untouched (test_vectors.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from crypto_helpers import members, receiver_outcome

from council.crypto import complaint as cpl
from council.crypto.bn254.curve import G1, G2, Fr
from council.crypto.bn254.sharing import BnDealing
from council.crypto.bn254.threshold import combine, sign_partial
from council.crypto.ceremony import Outcome, Participant
from council.crypto.drbg import seeded
from council.crypto.judge import judge
from council.crypto.messages import CeremonySpec, Dealing, EpochCommit, Signed, sign
from council.crypto.transcript import Transcript, catch_up, catch_up_bn254
from council.local import (
    LocalMember,
    Tamper,
    dkg_spec,
    participants_for,
    reshare_spec,
    roster_of,
    run_phases,
)

MSG = b"anchored head"


def _dkg(ms: list[LocalMember], t: int, tamper: Tamper | None = None,
         offline: frozenset[int] = frozenset()) -> tuple[CeremonySpec, list[Participant]]:
    spec = dkg_spec(roster_of(ms, t).committee(), "k", bn254=True)
    ps = participants_for(spec, [], ms)
    run_phases(ps, offline, tamper, seeded(b"bn-dkg"))
    return spec, ps


def _bn_shares(ps: list[Participant]) -> dict[int, Fr]:
    return {p.receiver_index: p.outcome.bn254_share for p in ps
            if p.receiver_index is not None and p.outcome and p.outcome.bn254_share is not None}


def _shares(ps: list[Participant]) -> dict[int, object]:
    return {p.receiver_index: p.outcome.share for p in ps
            if p.receiver_index is not None and p.outcome and p.outcome.share is not None}


def _signs(outcome: Outcome, shares: dict[int, Fr], t: int) -> bool:
    """t shares sign: `combine` raises unless the combined signature passes the pairing check."""
    assert outcome.public.bn254 is not None
    rng = seeded(b"sign")
    parts = [sign_partial(b"ctx", MSG, i, shares[i], rng) for i in sorted(shares)[:t]]
    result = combine(b"ctx", MSG, parts, outcome.public.bn254.verification_shares, t, outcome.public.bn254.public_key)
    return not result.culprits and len(result.used) == t


@pytest.fixture(scope="module")
def dkg() -> tuple[list[LocalMember], CeremonySpec, list[Participant]]:
    ms = members("bn", 3)
    spec, ps = _dkg(ms, 2)
    return ms, spec, ps


def test_dkg_yields_both_keys(dkg: tuple[list[LocalMember], CeremonySpec, list[Participant]]) -> None:
    ms, spec, ps = dkg
    outcome = receiver_outcome(ps)
    bn = outcome.public.bn254
    assert bn is not None and outcome.commit.bn254_digest is not None
    assert len({p.outcome.commit.to_bytes() for p in ps if p.outcome}) == 1
    assert EpochCommit.from_bytes(outcome.commit.to_bytes()) == outcome.commit
    shares = _bn_shares(ps)
    assert all(G1.base_mul(x) == bn.verification_shares[j] for j, x in shares.items())
    assert _signs(outcome, shares, 2)


def test_transcript_recomputes_the_bn254_key_and_catches_up(
        dkg: tuple[list[LocalMember], CeremonySpec, list[Participant]]) -> None:
    ms, spec, ps = dkg
    dealings, responses = ps[0].transcript
    commits = [sign(p.signer, EpochCommit.KIND, p.receiver_index, p.outcome.commit.to_bytes())
               for p in ps if p.outcome and p.receiver_index]
    transcript = Transcript.from_bytes(Transcript(dealings, responses, tuple(commits)).to_bytes())
    share, report = catch_up(spec, transcript, 3, ms[2].encryption_secret)
    assert report.committed and report.commit == receiver_outcome(ps).commit
    assert catch_up_bn254(spec, report, 3, ms[2].encryption_secret) == _bn_shares(ps)[3]
    assert report.summary()["bn254_public_key"] == receiver_outcome(ps).public.bn254.public_key.to_bytes().hex()


def test_reshare_carries_the_signing_key(dkg: tuple[list[LocalMember], CeremonySpec, list[Participant]]) -> None:
    ms, _, ps = dkg
    outcome = receiver_outcome(ps)
    new = ms[1:] + members("bn-new", 1)
    spec = reshare_spec(roster_of(ms, 2).committee(), roster_of(new, 2).committee(), "k", outcome)
    assert spec.bn254 and not spec.bn254_fresh
    ps2 = participants_for(spec, ms, new, _shares(ps), _bn_shares(ps))
    run_phases(ps2, rng=seeded(b"bn-reshare"))
    out2 = receiver_outcome(ps2)
    assert out2.public.public_key == outcome.public.public_key
    assert out2.public.bn254 is not None and out2.public.bn254.public_key == outcome.public.bn254.public_key
    assert _signs(out2, _bn_shares(ps2), 2)


def test_an_existing_key_gets_a_signing_key_by_a_reshare() -> None:
    ms = members("plain", 3)
    spec = dkg_spec(roster_of(ms, 2).committee(), "k")
    ps = participants_for(spec, [], ms)
    run_phases(ps, rng=seeded(b"plain"))
    outcome = receiver_outcome(ps)
    assert outcome.public.bn254 is None and outcome.commit.bn254_digest is None
    spec2 = reshare_spec(roster_of(ms, 2).committee(), roster_of(ms, 2).committee(), "k", outcome, bn254=True)
    assert spec2.bn254_fresh
    ps2 = participants_for(spec2, ms, ms, _shares(ps))
    run_phases(ps2, rng=seeded(b"plain-2"))
    out2 = receiver_outcome(ps2)
    assert out2.public.public_key == outcome.public.public_key and out2.public.bn254 is not None
    assert _signs(out2, _bn_shares(ps2), 2)
    with pytest.raises(ValueError, match="must carry it"):  # and from now on every re-share carries it
        CeremonySpec(spec2.kind, b"x", "k", 2, spec2.receivers, spec2.receivers,
                     reshare_spec(spec2.receivers, spec2.receivers, "k", out2).previous)


def _forge(spec: CeremonySpec, dealer: LocalMember, msg: Signed, victims: dict[int, LocalMember],
           wrong_g2: bool = False) -> Signed:
    """Re-sign a dealing after giving `victims` a wrong BN254 share, or a G2 key that does not match."""
    d = Dealing.from_bytes(msg.body)
    assert d.bn254 is not None
    shares = dict(d.encrypted_shares)
    for j, m in victims.items():
        share, bn = cpl.decrypt_shares(spec.digest(), d.dealer, j, m.encryption_secret, d)
        assert bn is not None
        shares[j] = cpl.encrypt_share(spec.digest(), d.dealer, j, spec.receivers.members[j].encryption_key,
                                      share, None, bn + Fr(1))
    bn_part = BnDealing(d.bn254.commitments, G2.base_mul(Fr(5)), d.bn254.pok) if wrong_g2 else d.bn254
    forged = Dealing(d.ceremony, d.dealer, d.commitments, d.pok, shares, bn_part)
    return sign(dealer.signer, Dealing.KIND, d.dealer, forged.to_bytes())


def _tampered(ms: list[LocalMember], tamper_for: dict[int, Callable[[CeremonySpec, Signed], Signed]]
              ) -> tuple[CeremonySpec, Tamper]:
    spec = dkg_spec(roster_of(ms, 2).committee(), "k", bn254=True)

    def tamper(phase: str, m: Signed) -> Signed:
        return tamper_for[m.sender](spec, m) if phase == "deal" and m.sender in tamper_for else m

    return spec, tamper


def test_bad_bn254_share_is_complained_about_and_its_dealer_disqualified() -> None:
    ms = members("evil", 3)
    spec, tamper = _tampered(ms, {2: lambda spec, m: _forge(spec, ms[1], m, {3: ms[2]})})
    ps = participants_for(spec, [], ms)
    run_phases(ps, tamper=tamper, rng=seeded(b"evil"))
    outcome = receiver_outcome(ps)
    assert "BN254 share for member 3 fails the Feldman check" in outcome.judgement.disqualified[2]
    assert outcome.judgement.qualified == (1, 3)
    assert _signs(outcome, _bn_shares(ps), 2)


def test_dealer_whose_g2_key_does_not_match_is_disqualified_by_the_judge() -> None:
    ms = members("evil-g2", 3)
    spec, tamper = _tampered(ms, {3: lambda spec, m: _forge(spec, ms[2], m, {}, wrong_g2=True)})
    ps = participants_for(spec, [], ms)
    dealings = [tamper("deal", m) for p in ps if (m := p.deal(seeded(b"g2"))) is not None]
    responses = [m for p in ps if (m := p.check(dealings)) is not None]
    judgement = judge(spec, dealings, responses)  # once, as an auditor would: 1 + 3 pairing checks
    assert "BN254 key in G2 does not match" in judgement.disqualified[3]
    assert judgement.qualified == (1, 2)
    assert judgement.bn254_key == sum((judgement.dealings[i].bn254.key_g2 for i in (1, 2)), G2.identity())
