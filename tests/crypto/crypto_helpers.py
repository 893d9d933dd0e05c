"""Shared helpers for crypto tests: committees, ceremonies, and malicious dealers."""

from __future__ import annotations

from collections.abc import Sequence

from council.crypto import complaint as cpl
from council.crypto import vss
from council.crypto.ceremony import Outcome, Participant
from council.crypto.drbg import seeded
from council.crypto.group import G, Scalar
from council.crypto.messages import CeremonySpec, Dealing, Signed, sign
from council.local import (
    LocalMember,
    Tamper,
    dkg_spec,
    participants_for,
    reshare_spec,
    roster_of,
    run_phases,
)


def members(prefix: str, n: int, seed: int = 0) -> list[LocalMember]:
    rng = seeded(f"{prefix}-{seed}".encode())
    return [LocalMember.generate(f"{prefix}{i}", rng) for i in range(n)]


def run_dkg(ms: Sequence[LocalMember], t: int, key_id: str = "k", offline: frozenset[int] = frozenset(),
            tamper: Tamper | None = None) -> tuple[CeremonySpec, list[Participant]]:
    spec = dkg_spec(roster_of(ms, t).committee(), key_id)
    ps = participants_for(spec, [], ms)
    run_phases(ps, offline, tamper)
    return spec, ps


def run_reshare(old: Sequence[LocalMember], t_old: int, new: Sequence[LocalMember], t_new: int,
                outcome: Outcome, shares: dict[int, Scalar], key_id: str = "k",
                offline: frozenset[int] = frozenset(), tamper: Tamper | None = None
                ) -> tuple[CeremonySpec, list[Participant]]:
    spec = reshare_spec(roster_of(old, t_old).committee(), roster_of(new, t_new).committee(), key_id, outcome)
    ps = participants_for(spec, old, new, shares)
    run_phases(ps, offline, tamper)
    return spec, ps


def receiver_outcome(ps: Sequence[Participant]) -> Outcome:
    for p in ps:
        if p.receiver_index is not None and p.outcome is not None and p.outcome.share is not None:
            return p.outcome
    raise AssertionError("no receiver finished")


def new_shares(ps: Sequence[Participant]) -> dict[int, Scalar]:
    return {p.receiver_index: p.outcome.share for p in ps
            if p.receiver_index is not None and p.outcome is not None and p.outcome.share is not None}


def redeal(spec: CeremonySpec, dealer: LocalMember, msg: Signed, *, bad_share_for: int | None = None,
           bad_commitment: bool = False) -> Signed:
    """Re-sign a dealer's dealing after corrupting one share or one commitment."""
    d = Dealing.from_bytes(msg.body)
    shares = dict(d.encrypted_shares)
    commitments = list(d.commitments)
    if bad_share_for is not None:
        key = spec.receivers.members[bad_share_for].encryption_key
        shares[bad_share_for] = cpl.encrypt_share(spec.digest(), d.dealer, bad_share_for, key, Scalar(12345))
    if bad_commitment:
        commitments[-1] = commitments[-1] + G
    forged = Dealing(d.ceremony, d.dealer, tuple(commitments), d.pok, shares)
    return sign(dealer.signer, Dealing.KIND, d.dealer, forged.to_bytes())


def corrupt_constant(spec: CeremonySpec, dealer: LocalMember, msg: Signed) -> Signed:
    """A re-share dealer that shares a different constant term than its Y_i (consistently)."""
    d = Dealing.from_bytes(msg.body)
    coeffs = vss.random_polynomial(Scalar.random(), spec.receivers.threshold)
    shares = {j: cpl.encrypt_share(spec.digest(), d.dealer, j, spec.receivers.members[j].encryption_key,
                                   vss.evaluate(coeffs, j)) for j in spec.receivers.indices}
    forged = Dealing(d.ceremony, d.dealer, tuple(vss.commit(coeffs)), None, shares)
    return sign(dealer.signer, Dealing.KIND, d.dealer, forged.to_bytes())
