"""Attack: whoever relays a ceremony's messages (the driver, or a member whose reply it relays)
adds a message in another member's name that this member never signed. Members must not count it
against that member: a dealing or response counts, and two different ones prove equivocation,
only when its sender's signature verifies. Before the fix, one forged dealing disqualified its
claimed dealer ("sent two different dealings") and one forged response blamed, and so in a DKG
disqualified, its claimed member: one party could shrink QUAL below t and stall every ceremony."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from crypto_helpers import members, redeal

from council.crypto.ceremony import Participant
from council.crypto.messages import Dealing, Response, Signed
from council.local import LocalMember, dkg_spec, participants_for, roster_of

N, T = 4, 3
VICTIM = 2


def _forged(kind: str, body: bytes) -> Signed:
    """A message claiming to come from VICTIM, with a signature VICTIM never made."""
    return Signed(kind, VICTIM, body, secrets.token_bytes(64))


def _ceremony() -> tuple[list[LocalMember], list[Participant]]:
    ms = members("imp", N)
    return ms, participants_for(dkg_spec(roster_of(ms, T).committee(), "k"), [], ms)


def _finish(ps: Sequence[Participant], responses: list[Signed]) -> None:
    commits = [m for p in ps if (m := p.output(responses)) is not None]
    for p in ps:
        p.finalize(commits)


def test_a_forged_second_dealing_does_not_disqualify_its_claimed_dealer() -> None:
    _, ps = _ceremony()
    dealings = [m for p in ps if (m := p.deal()) is not None]
    other = next(d for d in dealings if d.sender != VICTIM)
    relayed = dealings + [_forged(Dealing.KIND, other.body), _forged(Dealing.KIND, b"\x00junk")]
    responses = [m for p in ps if (m := p.check(relayed)) is not None]
    _finish(ps, responses)
    for p in ps:
        assert p.outcome is not None and VICTIM in p.outcome.judgement.qualified, p.outcome
        assert p.outcome.share is not None and len(p.outcome.signatures) >= T


def test_a_forged_response_does_not_blame_or_disqualify_its_claimed_member() -> None:
    _, ps = _ceremony()
    dealings = [m for p in ps if (m := p.deal()) is not None]
    responses = [m for p in ps if (m := p.check(dealings)) is not None]
    spec = ps[0].spec
    fake = _forged(Response.KIND, Response(spec.digest(), VICTIM, ()).to_bytes())
    _finish(ps, responses + [fake, _forged(Response.KIND, b"\x01junk")])
    for p in ps:
        assert p.outcome is not None and VICTIM not in p.outcome.judgement.blamed, p.outcome.judgement
        assert VICTIM in p.outcome.judgement.qualified and p.outcome.share is not None


def test_a_dealer_that_signs_two_different_dealings_is_still_disqualified() -> None:
    ms, ps = _ceremony()
    dealings = [m for p in ps if (m := p.deal()) is not None]
    own = next(d for d in dealings if d.sender == VICTIM)
    second = redeal(ps[0].spec, ms[VICTIM - 1], own, bad_commitment=True)
    relayed = dealings + [second]
    responses = [m for p in ps if (m := p.check(relayed)) is not None]
    _finish(ps, responses)
    for p in ps:
        assert p.outcome is not None and "two different dealings" in p.outcome.judgement.disqualified[VICTIM]
