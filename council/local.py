"""An in-process ceremony relay: runs DKG and re-share among Participant objects, no network.

Used by the protocol demo, the property tests and the CPU benchmarks. The networked driver does
the same phases over gRPC with deadlines.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from council.bundle import KeyBundle
from council.crypto.bn254.curve import Fr
from council.crypto.ceremony import Outcome, Participant
from council.crypto.committee import Committee
from council.crypto.group import P256, RandomSource, Scalar
from council.crypto.messages import CeremonySpec, Kind, PreviousEpoch, Signed
from council.crypto.signing import Signer
from council.errors import CeremonyError
from council.roster import MemberCard, Roster

Tamper = Callable[[str, Signed], Signed]
"""A hook for tests: given the phase name and a message, return the message to relay."""


@dataclass(frozen=True)
class LocalMember:
    """A member's long-term keys, for in-process ceremonies."""

    name: str
    signer: Signer
    encryption_secret: Scalar

    @classmethod
    def generate(cls, name: str, rng: RandomSource | None = None) -> LocalMember:
        seed = (rng or secrets.token_bytes)(32)
        return cls(name, Signer.from_seed(seed), Scalar.random(rng))


    def card(self, address: str) -> MemberCard:
        """A public member card (the TLS certificate is a placeholder: no network in-process)."""
        return MemberCard(self.name, address, self.signer.public_key,
                          P256.base_mul(self.encryption_secret).to_bytes(), "in-process: no TLS")


def roster_of(members: Sequence[LocalMember], threshold: int) -> Roster:
    """A roster indexing members 1..n in the given order, with placeholder loopback addresses."""
    return Roster(threshold, tuple(m.card(f"in-process:{m.name}") for m in members))


def committee_of(members: Sequence[LocalMember], threshold: int) -> Committee:
    return roster_of(members, threshold).committee()


def key_bundle(roster: Roster, outcome: Outcome) -> KeyBundle:
    """The key bundle of a committed in-process epoch."""
    return KeyBundle(outcome.commit, outcome.signatures, roster)


def run_phases(participants: Sequence[Participant], offline: frozenset[int] = frozenset(),
               tamper: Tamper | None = None, rng: RandomSource | None = None) -> None:
    """Relay deal → check → judge/output → commit; `offline` are positions that never speak."""
    live = [p for k, p in enumerate(participants) if k not in offline]
    relay = tamper or (lambda _phase, m: m)
    dealings = [relay("deal", m) for p in live if (m := p.deal(rng)) is not None]
    responses = [relay("check", m) for p in live if (m := p.check(dealings, rng)) is not None]
    errors: list[CeremonyError] = []
    commits = [relay("commit", m) for m in _each(live, lambda p: p.output(responses), errors) if m]
    _each([p for p in live if p.outcome is not None], lambda p: p.finalize(commits), errors)
    if errors:
        raise errors[0]


def _each(participants: Sequence[Participant], step: Callable[[Participant], Signed | object],
          errors: list[CeremonyError]) -> list[Signed]:
    """Run one step for every participant; a failing member fails alone, like a real node."""
    out: list[Signed] = []
    for p in participants:
        try:
            m = step(p)
        except CeremonyError as exc:
            errors.append(exc)
            continue
        if isinstance(m, Signed):
            out.append(m)
    return out


def dkg_spec(committee: Committee, key_id: str, ceremony_id: bytes | None = None,
             bn254: bool = False) -> CeremonySpec:
    return CeremonySpec(Kind.DKG, ceremony_id or secrets.token_bytes(16), key_id, 0, committee, committee,
                        bn254=bn254)


def reshare_spec(old: Committee, new: Committee, key_id: str, outcome: Outcome,
                 ceremony_id: bytes | None = None, bn254: bool = False) -> CeremonySpec:
    """The next epoch; a BN254 signing key of the outcome is carried, `bn254` makes one if absent."""
    bn = outcome.public.bn254
    previous = PreviousEpoch(outcome.commit.epoch, outcome.public.public_key,
                             dict(outcome.public.verification_shares), bn.previous() if bn else None)
    return CeremonySpec(Kind.RESHARE, ceremony_id or secrets.token_bytes(16), key_id,
                        outcome.commit.epoch + 1, old, new, previous, bn254=bn254 or bn is not None)


def participants_for(spec: CeremonySpec, old: Sequence[LocalMember], new: Sequence[LocalMember],
                     shares: Mapping[int, Scalar] | None = None,
                     bn254_shares: Mapping[int, Fr] | None = None) -> list[Participant]:
    """One Participant per distinct member (old members by dealer index, new by receiver index)."""
    by_key: dict[bytes, Participant] = {}
    for i, m in enumerate(old, start=1) if spec.kind is Kind.RESHARE else ():
        by_key[m.signer.public_key] = Participant(spec, m.signer, m.encryption_secret, i, None,
                                                  (shares or {}).get(i), (bn254_shares or {}).get(i))
    for j, m in enumerate(new, start=1):
        p = by_key.get(m.signer.public_key)
        dealer = p.dealer_index if p else (j if spec.kind is Kind.DKG else None)
        share = p.dealer_share if p else None
        bn_share = p.dealer_bn254_share if p else None
        by_key[m.signer.public_key] = Participant(spec, m.signer, m.encryption_secret, dealer, j, share, bn_share)
    return list(by_key.values())
