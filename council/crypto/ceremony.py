"""One member's side of a DKG or re-share, as a pure state machine (protocol.md, DKG and re-share).

The participant takes messages and returns messages; it never touches the network, disk or clock.
Randomness is injected. States and allowed transitions are in one table; every transition checks
it. A member may be a dealer (DKG: everyone; re-share: the old committee), a receiver (the new
committee), or both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from council.crypto import schnorr, vss
from council.crypto.bn254 import sharing as bn_sharing
from council.crypto.bn254 import vss as bn_vss
from council.crypto.bn254.curve import G1, Fr
from council.crypto.complaint import decrypt_shares, encrypt_share, make_complaint
from council.crypto.group import P256, Point, RandomSource, Scalar
from council.crypto.judge import DKG_POK, Judgement, judge, valid_dealings
from council.crypto.messages import (
    CeremonySpec,
    CommitSignature,
    Complaint,
    Dealing,
    EpochCommit,
    Response,
    Signed,
    bn254_digest,
    sign,
    transcript_digest,
    verification_shares_digest,
)
from council.crypto.output import (
    PublicOutput,
    find_bad_dealers,
    public_output,
    receiver_bn254_share,
    receiver_share,
)
from council.crypto.signing import Signer
from council.errors import AuthenticationFailed, CeremonyError, DecodeError, KeycouncilError


class State(Enum):
    """Where a participant stands in a ceremony."""

    INIT = "created; nothing sent yet"
    DEALT = "own dealing sent (or none, for a receiver only); waiting for all dealings"
    CHECKED = "shares checked and response sent; waiting for all responses"
    OUTPUT = "judged, share computed, commit signed; waiting for commit signatures"
    COMMITTED = "the receivers' threshold signed the same commit; the epoch is live"
    FAILED = "the ceremony aborted for this member; no new share is used"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.INIT: frozenset({State.DEALT, State.FAILED}),
    State.DEALT: frozenset({State.CHECKED, State.FAILED}),
    State.CHECKED: frozenset({State.OUTPUT, State.FAILED}),
    State.OUTPUT: frozenset({State.COMMITTED, State.FAILED}),
    State.COMMITTED: frozenset(),
    State.FAILED: frozenset(),
}


@dataclass(frozen=True)
class Outcome:
    """The result for this member: public data for all, the new share(s) for a receiver."""

    commit: EpochCommit
    public: PublicOutput
    judgement: Judgement
    share: Scalar | None
    share_problem: str | None
    signatures: tuple[CommitSignature, ...] = field(default=())
    bn254_share: Fr | None = None


@dataclass
class Participant:
    """A member's ceremony state. A member may deal (index in the old committee), receive (index in
    the new committee), or both; `dealer_share` is its current share in a re-share, and
    `dealer_bn254_share` its BN254 share when the re-share carries the signing key."""

    spec: CeremonySpec
    signer: Signer
    encryption_secret: Scalar
    dealer_index: int | None
    receiver_index: int | None
    dealer_share: Scalar | None = None
    dealer_bn254_share: Fr | None = None
    state: State = State.INIT
    failure: str | None = None
    outcome: Outcome | None = None
    _dealings: tuple[Signed, ...] = ()
    _responses: tuple[Signed, ...] = ()
    _checked: tuple[dict[int, Dealing], dict[int, str]] | None = None
    _decrypted: dict[int, Scalar] = field(default_factory=dict)
    _decrypted_bn254: dict[int, Fr] = field(default_factory=dict)
    _summed: tuple[tuple[int, ...], list[Point]] | None = None  # (dealers, Σ_i A_ik) of the aggregate check
    _sent: dict[str, Signed] = field(default_factory=dict)  # own dealing and response, by kind, as signed here

    def __post_init__(self) -> None:
        enc = P256.base_mul(self.encryption_secret)
        for committee, idx in ((self.spec.dealers, self.dealer_index), (self.spec.receivers, self.receiver_index)):
            if idx is None:
                continue
            m = committee.member(idx)
            if m.signing_key != self.signer.public_key or m.encryption_key != enc:
                raise ValueError(f"keys do not match member {idx} of the committee")
        if self.dealer_index is None and self.receiver_index is None:
            raise ValueError("a participant deals, receives, or both")

    @property
    def name(self) -> str:
        return f"member {self.receiver_index if self.receiver_index is not None else self.dealer_index}"

    def _move(self, new: State) -> None:
        if new not in TRANSITIONS[self.state]:
            raise CeremonyError(f"{self.name}: cannot go from {self.state.name} to {new.name}")
        self.state = new

    def fail(self, reason: str) -> None:
        """Abort: no share of this ceremony will be used."""
        if self.state not in (State.COMMITTED, State.FAILED):
            self.state, self.failure = State.FAILED, reason

    # Step 1: deal ------------------------------------------------------------------------------
    def deal(self, rng: RandomSource | None = None) -> Signed | None:
        """Deal a fresh secret (DKG) or this member's share (re-share) to the receivers."""
        self._move(State.DEALT)
        i = self.dealer_index
        if i is None:
            return None
        secret = self._secret_to_deal(rng)
        coefficients = vss.random_polynomial(secret, self.spec.receivers.threshold, rng)
        commitments = tuple(vss.commit(coefficients))
        if self.spec.previous is not None and commitments[0] != self.spec.previous.verification_shares[i]:
            self.fail("own share does not match own verification share of the previous epoch")
            raise CeremonyError(f"dealer {i}: own share does not match Y_{i}")
        digest = self.spec.digest()
        pok = None if self.spec.previous else schnorr.prove(
            DKG_POK, digest + i.to_bytes(2, "big"), secret, commitments[0], rng)
        bn, bn_shares = self._deal_bn254(i, rng)
        shares = {j: encrypt_share(digest, i, j, self.spec.receivers.members[j].encryption_key,
                                   vss.evaluate(coefficients, j), rng, bn_shares.get(j))
                  for j in self.spec.receivers.indices}
        dealing = Dealing(digest, i, commitments, pok, shares, bn)
        return self._keep(sign(self.signer, Dealing.KIND, i, dealing.to_bytes()))

    def _keep(self, message: Signed) -> Signed:
        """Remember a message signed here: relayed back unchanged, its signature needs no check."""
        self._sent[message.kind] = message
        return message

    def _deal_bn254(self, i: int, rng: RandomSource | None) -> tuple[bn_sharing.BnDealing | None, dict[int, Fr]]:
        """Step 1 for the BN254 key (protocol.md §8): fresh, or this dealer's current BN254 share."""
        if not self.spec.bn254:
            return None, {}
        secret = None
        if not self.spec.bn254_fresh:
            prev = self.spec.previous.bn254 if self.spec.previous is not None else None
            if self.dealer_bn254_share is None or prev is None:
                self.fail("a re-share dealer of the BN254 key needs its current BN254 share")
                raise CeremonyError(f"dealer {i}: no current BN254 share to re-share")
            if G1.base_mul(self.dealer_bn254_share) != prev.verification_shares[i]:
                self.fail("own BN254 share does not match own BN254 verification share")
                raise CeremonyError(f"dealer {i}: own BN254 share does not match its Y_{i}")
            secret = self.dealer_bn254_share
        return bn_sharing.deal(secret, self.spec.receivers.threshold, self.spec.receivers.indices,
                               self.spec.digest(), i, rng)

    def _secret_to_deal(self, rng: RandomSource | None) -> Scalar:
        if self.spec.previous is None:
            return Scalar.random(rng)
        if self.dealer_share is None:
            raise CeremonyError(f"dealer {self.dealer_index}: a re-share dealer needs its current share")
        return self.dealer_share

    def adopt_dealing(self, own: Signed | None) -> None:
        """Resume after a restart: take the dealing this member persisted before sending it."""
        self._move(State.DEALT)
        if (own is None) != (self.dealer_index is None) or (own and own.sender != self.dealer_index):
            raise CeremonyError(f"{self.name}: persisted dealing does not belong to this member")

    def adopt_response(self, dealings: Sequence[Signed], own: Signed | None) -> None:
        """Resume after a restart: take the persisted dealings and the response already sent."""
        self._move(State.CHECKED)
        self._dealings = tuple(dealings)
        if (own is None) != (self.receiver_index is None) or (own and own.sender != self.receiver_index):
            raise CeremonyError(f"{self.name}: persisted response does not belong to this member")

    # Step 2: check -----------------------------------------------------------------------------
    def check(self, dealings: Sequence[Signed], rng: RandomSource | None = None) -> Signed | None:
        """Check own shares from every publicly valid dealing; complain about bad ones."""
        self._move(State.CHECKED)
        self._dealings = tuple(dealings)
        j = self.receiver_index
        if j is None:
            return None
        self._checked = valid_dealings(self.spec, dealings, self._sent.get(Dealing.KIND))
        complaints = self._complaints(j, self._checked[0], rng)
        response = Response(self.spec.digest(), j, tuple(complaints))
        return self._keep(sign(self.signer, Response.KIND, j, response.to_bytes()))

    def _complaints(self, j: int, good: dict[int, Dealing], rng: RandomSource | None) -> list[Complaint]:
        if not good or self._aggregate_check(j, good):
            return []
        judgement = Judgement(tuple(good), {}, {}, good)
        bad = find_bad_dealers(self.spec, judgement, j, self.encryption_secret, good)
        return [make_complaint(self.spec.digest(), i, j, self.encryption_secret, good[i], rng)
                for i in sorted(bad)]

    def _aggregate_check(self, j: int, good: dict[int, Dealing]) -> bool:
        """Optimistic: (Σ_i s_ij)·G == Σ_k j^k·(Σ_i A_ik), point additions instead of n·t products."""
        total = 0
        for i, dealing in good.items():
            try:
                share, bn = decrypt_shares(self.spec.digest(), i, j, self.encryption_secret, dealing,
                                           self.spec.receivers.members[j].encryption_key)
            except (AuthenticationFailed, DecodeError):
                return False
            self._decrypted[i] = share
            if bn is not None:
                self._decrypted_bn254[i] = bn
            total += share.value
        summed = vss.sum_commitments(d.commitments for d in good.values())
        self._summed = (tuple(good), summed)
        if not vss.share_is_valid(j, Scalar.reduce(total), summed):
            return False
        if not self.spec.bn254:
            return True
        bn_commitments = {i: d.bn254.commitments for i, d in good.items() if d.bn254 is not None}
        return bn_vss.aggregate_is_valid(j, self._decrypted_bn254, bn_commitments)

    # Steps 3-5: judge, output, sign the commit ---------------------------------------------------
    def output(self, responses: Sequence[Signed]) -> Signed | None:
        """Judge from the transcript, compute Y, every Y_j and own share; sign the commit."""
        self._responses = tuple(responses)
        try:
            judgement = judge(self.spec, self._dealings, responses, self._checked, self._sent.get(Response.KIND))
            public = public_output(self.spec, judgement, self._summed)
        except KeycouncilError as exc:
            self.fail(str(exc))
            raise
        self._move(State.OUTPUT)
        share, bn_share, problem = self._own_share(judgement, public)
        commit = self.commit_for(public)
        self.outcome = Outcome(commit, public, judgement, share, problem, bn254_share=bn_share)
        if share is None or self.receiver_index is None:
            return None
        return sign(self.signer, EpochCommit.KIND, self.receiver_index, commit.to_bytes())

    def commit_for(self, public: PublicOutput) -> EpochCommit:
        t_digest = transcript_digest(self.spec.digest(), self._dealings, self._responses)
        return EpochCommit(self.spec.key_id, self.spec.epoch, self.spec.receivers.roster_digest,
                           self.spec.receivers.threshold, public.public_key,
                           verification_shares_digest(public.verification_shares), t_digest,
                           bn254_digest(public.bn254) if public.bn254 is not None else None)

    def _own_share(self, judgement: Judgement,
                   public: PublicOutput) -> tuple[Scalar | None, Fr | None, str | None]:
        if self.receiver_index is None:
            return None, None, None
        try:
            share = receiver_share(self.spec, judgement, public, self.receiver_index, self.encryption_secret,
                                   self._decrypted)
            bn_share = None if public.bn254 is None else receiver_bn254_share(
                self.spec, judgement, public, self.receiver_index, self.encryption_secret, self._decrypted_bn254)
            return share, bn_share, None
        except KeycouncilError as exc:
            return None, None, str(exc)

    # Step 5: count commit signatures -------------------------------------------------------------
    def finalize(self, commit_messages: Sequence[Signed]) -> Outcome:
        """The epoch is live once `t'` receivers signed exactly this member's commit."""
        if self.outcome is None:
            raise CeremonyError(f"{self.name}: no output to commit")
        valid = collect_commit_signatures(self.spec, self.outcome.commit, commit_messages)
        if len(valid) < self.spec.receivers.threshold:
            reason = (f"only {len(valid)} receivers signed this commit, "
                      f"{self.spec.receivers.threshold} needed")
            self.fail(reason)
            raise CeremonyError(reason)
        self._move(State.COMMITTED)
        self.outcome = replace(self.outcome, signatures=tuple(valid))
        return self.outcome

    @property
    def transcript(self) -> tuple[tuple[Signed, ...], tuple[Signed, ...]]:
        """The dealings and responses this member used."""
        return self._dealings, self._responses


def collect_commit_signatures(spec: CeremonySpec, commit: EpochCommit,
                              messages: Sequence[Signed]) -> list[CommitSignature]:
    """Keep one valid signature per receiver over exactly `commit`."""
    body = commit.to_bytes()
    seen: dict[int, CommitSignature] = {}
    for m in messages:
        if m.sender in seen or m.sender not in spec.receivers.members or m.body != body:
            continue
        try:
            m.verify(spec.receivers.members[m.sender], EpochCommit.KIND)
        except KeycouncilError:
            continue
        seen[m.sender] = CommitSignature(m.sender, m.signature)
    return [seen[i] for i in sorted(seen)]

