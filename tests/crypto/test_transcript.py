"""The transcript checker recomputes the outcome; an offline member catches up from it."""

from __future__ import annotations

import pytest
from crypto_helpers import members, new_shares, receiver_outcome, redeal

from council.crypto import kem
from council.crypto.transcript import Transcript, catch_up, check_transcript
from council.errors import CeremonyError, DecodeError
from council.local import dkg_spec, participants_for, reshare_spec, roster_of, run_phases


def _transcript(ps, commits):
    dealings, responses = next(p.transcript for p in ps if p.outcome is not None)
    return Transcript(dealings, responses, tuple(commits))


def test_checker_recomputes_disqualifications_key_and_every_yj() -> None:
    ms = members("m", 5)
    spec = dkg_spec(roster_of(ms, 3).committee(), "k")
    ps = participants_for(spec, [], ms)
    commits = []

    def relay(phase, m):
        if phase == "commit":
            commits.append(m)
        return redeal(spec, ms[0], m, bad_share_for=3) if phase == "deal" and m.sender == 1 else m

    run_phases(ps, tamper=relay)
    report = check_transcript(spec, _transcript(ps, commits))
    outcome = receiver_outcome(ps)
    assert report.committed and report.commit == outcome.commit
    assert report.public.public_key == outcome.public.public_key
    assert dict(report.verification_shares) == dict(outcome.public.verification_shares)
    assert "complaint by member 3 upheld" in report.summary()["disqualified"]["1"]
    again = Transcript.from_bytes(_transcript(ps, commits).to_bytes())
    assert check_transcript(spec, again).commit == report.commit


def test_offline_member_catches_up_from_the_transcript() -> None:
    old = members("o", 4)
    spec0 = dkg_spec(roster_of(old, 3).committee(), "k")
    ps0 = participants_for(spec0, [], old)
    run_phases(ps0)
    o0, s0 = receiver_outcome(ps0), new_shares(ps0)
    new = members("n", 5)
    spec = reshare_spec(roster_of(old, 3).committee(), roster_of(new, 3).committee(), "k", o0)
    ps = participants_for(spec, old, new, s0)
    commits = []
    run_phases(ps, offline=frozenset({len(ps) - 1}),  # new member 5 is offline
               tamper=lambda ph, m: commits.append(m) or m if ph == "commit" else m)
    share, report = catch_up(spec, _transcript(ps, commits), 5, new[4].encryption_secret)
    assert report.verification_shares[5] == share_point(share)
    ct, key = kem.encapsulate(o0.public.public_key, b"l")
    shares = {**new_shares(ps), 5: share}
    from council.crypto import decryption as dec
    ctx = dec.DecryptionContext("k", 1, b"r")
    res = dec.combine(ctx, ct, [dec.create_share(ctx, ct, b"l", j, shares[j]) for j in (2, 4, 5)],
                      report.verification_shares, 3)
    assert kem.derive_data_key(res.shared_point, ct.r_point, o0.public.public_key, b"l") == key


def share_point(share):
    from council.crypto.group import P256
    return P256.base_mul(share)


def test_catch_up_refuses_an_uncommitted_transcript() -> None:
    ms = members("m", 3)
    spec = dkg_spec(roster_of(ms, 2).committee(), "k")
    ps = participants_for(spec, [], ms)
    run_phases(ps)
    with pytest.raises(CeremonyError, match="not committed: 0 of 2"):
        catch_up(spec, _transcript(ps, []), 1, ms[0].encryption_secret)


def test_transcript_decoder_refuses_garbage() -> None:
    with pytest.raises(DecodeError):
        Transcript.from_bytes(b"")
    good = Transcript((), (), ()).to_bytes()
    with pytest.raises(DecodeError, match="trailing"):
        Transcript.from_bytes(good + b"\x00")
