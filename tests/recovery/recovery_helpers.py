"""Shared helpers for recovery tests: a council from an in-process DKG and re-share, dumps sealed
to its bundle, backups, operators and a folder store."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from crypto_helpers import members, new_shares, receiver_outcome
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from council.bundle import KeyBundle
from council.crypto.drbg import seeded
from council.crypto.group import P256, Scalar
from council.crypto.messages import CommitSignature, EpochCommit, sign
from council.crypto.signing import Signer
from council.local import (
    dkg_spec,
    key_bundle,
    participants_for,
    reshare_spec,
    roster_of,
    run_phases,
)
from council.protocol.epoch import CouncilEpoch
from council.roster import MemberCard, OperatorCard, Roster
from dumps.seal import seal_stream
from dumps.sealer import SealingIdentity
from dumps.target import SealTarget

KEY_ID = "recovery-key"
CHUNK = 64


@dataclass(frozen=True)
class Epoch:
    """One committed epoch: public data (with a roster naming the operator) and every share."""

    council: CouncilEpoch
    shares: dict[int, Scalar]
    roster: Roster


@dataclass(frozen=True)
class TwoEpochs:
    old: Epoch
    new: Epoch
    operator: Signer


def _with_operator(roster: Roster, operator: Signer) -> Roster:
    return Roster(roster.threshold, roster.members, (OperatorCard("op", operator.public_key, "none"),))


@cache
def two_epochs() -> TwoEpochs:
    """DKG with 5 members (t = 3), then a re-share to 7 members (t = 5)."""
    operator = Signer.from_seed(seeded(b"operator")(32))
    old_ms, new_ms = members("o", 5), members("n", 7)
    old_roster = _with_operator(roster_of(old_ms, 3), operator)
    new_roster = _with_operator(roster_of(new_ms, 5), operator)
    ps = participants_for(dkg_spec(old_roster.committee(), KEY_ID), [], old_ms)
    run_phases(ps)
    old_out, old_shares = receiver_outcome(ps), new_shares(ps)
    spec = reshare_spec(old_roster.committee(), new_roster.committee(), KEY_ID, old_out)
    ps2 = participants_for(spec, old_ms, new_ms, old_shares)
    run_phases(ps2)
    old = _epoch(old_roster, old_out, old_shares)
    new = _epoch(new_roster, receiver_outcome(ps2), new_shares(ps2))
    return TwoEpochs(old, new, operator)


def _epoch(roster: Roster, outcome, shares: dict[int, Scalar]) -> Epoch:
    bundle = key_bundle(roster, outcome)
    return Epoch(CouncilEpoch(bundle, dict(outcome.public.verification_shares)), shares, roster)


def sealer(seed: bytes = b"sealer") -> SealingIdentity:
    return SealingIdentity.simulated(Ed25519PrivateKey.from_private_bytes(seeded(seed)(32)))


def seal_versions(store: Path, epochs: list[Epoch], payloads: list[bytes], app: str = "app") -> list[Path]:
    """Seal payload k as version k+1 to epochs[k]'s bundle, chained, into `store`."""
    previous, paths, ident = b"", [], sealer()
    for k, (epoch, data) in enumerate(zip(epochs, payloads, strict=True), start=1):
        sink = io.BytesIO()
        sealed = seal_stream(io.BytesIO(data), sink, target=SealTarget.from_bundle(epoch.council.bundle),
                             sealer=ident, app_id=app, dump_version=k, previous_digest=previous,
                             chunk_size=CHUNK, now_ms=1_700_000_000_000 + k)
        path = store / f"{app}-{k}.kcd"
        path.write_bytes(sink.getvalue())
        previous = sealed.digest
        paths.append(path)
    return paths


def foreign_bundle(key_id: str, epoch: int) -> KeyBundle:
    """Another council (its own roster, members and key) that named its key the same."""
    signers = [Signer.generate() for _ in range(3)]
    cards = tuple(MemberCard(f"x{i}", f"in-process:x{i}", s.public_key,
                             P256.base_mul(Scalar.random()).to_bytes(), "none") for i, s in enumerate(signers))
    roster = Roster(2, cards)
    commit = EpochCommit(key_id, epoch, roster.digest(), 2, P256.base_mul(Scalar.random()), bytes(32), bytes(32))
    sigs = tuple(CommitSignature(i + 1, sign(s, EpochCommit.KIND, i + 1, commit.to_bytes()).signature)
                 for i, s in enumerate(signers[:2]))
    return KeyBundle(commit, sigs, roster)
