"""The transcript checker: anyone recomputes a ceremony's outcome from its public messages.

Given the spec and the relayed dealings, responses and commit signatures, it recomputes who was
disqualified or blamed and why, Y, every Y_j, the EpochCommit, and which receivers signed it.
A member that was offline uses the same data to derive its share afterwards (catch-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from council.crypto.bn254.curve import Fr
from council.crypto.ceremony import collect_commit_signatures
from council.crypto.codec import Reader, Writer
from council.crypto.group import Point, Scalar
from council.crypto.judge import Judgement, judge
from council.crypto.messages import (
    CeremonySpec,
    CommitSignature,
    EpochCommit,
    Signed,
    bn254_digest,
    transcript_digest,
    verification_shares_digest,
)
from council.crypto.output import PublicOutput, public_output, receiver_bn254_share, receiver_share
from council.errors import CeremonyError, DecodeError


@dataclass(frozen=True)
class Transcript:
    """Every message of one ceremony, as relayed to the members."""

    dealings: tuple[Signed, ...]
    responses: tuple[Signed, ...]
    commits: tuple[Signed, ...]

    def to_bytes(self) -> bytes:
        w = Writer().text("transcript")
        for group in (self.dealings, self.responses, self.commits):
            w.uint(len(group), 4)
            for s in group:
                w.blob(s.to_bytes())
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Transcript:
        r = Reader(data, "transcript")
        if r.text("type") != "transcript":
            raise DecodeError("transcript: wrong message type")
        groups = [tuple(Signed.from_bytes(r.blob(f"{name}[{k}]")) for k in range(r.uint(4, name)))
                  for name in ("dealings", "responses", "commits")]
        r.end()
        return cls(*groups)


@dataclass(frozen=True)
class TranscriptReport:
    """The recomputed outcome: judgement, Y and every Y_j, the commit and who signed it."""

    judgement: Judgement
    public: PublicOutput
    commit: EpochCommit
    signers: tuple[CommitSignature, ...]

    @property
    def committed(self) -> bool:
        return len(self.signers) >= self.commit.threshold

    @property
    def verification_shares(self) -> Mapping[int, Point]:
        return self.public.verification_shares

    def summary(self) -> dict[str, object]:
        """A JSON-friendly account for auditors (with the BN254 signing key if the ceremony has one)."""
        bn = self.public.bn254
        extra: dict[str, object] = {} if bn is None else {
            "bn254_public_key": bn.public_key.to_bytes().hex(),
            "bn254_verification_shares": {str(j): y.to_bytes().hex() for j, y in sorted(bn.verification_shares.items())}}
        return extra | {
            "key_id": self.commit.key_id, "epoch": self.commit.epoch,
            "public_key": self.public.public_key.to_bytes().hex(),
            "qualified": list(self.judgement.qualified),
            "disqualified": {str(i): why for i, why in sorted(self.judgement.disqualified.items())},
            "blamed": {str(i): why for i, why in sorted(self.judgement.blamed.items())},
            "verification_shares": {str(j): y.to_bytes().hex() for j, y in sorted(self.verification_shares.items())},
            "commit_signers": [s.member for s in self.signers], "committed": self.committed,
        }


def check_transcript(spec: CeremonySpec, transcript: Transcript) -> TranscriptReport:
    """Recompute the outcome; raises CeremonyError if the ceremony could not produce a key."""
    judgement = judge(spec, transcript.dealings, transcript.responses)
    public = public_output(spec, judgement)
    commit = EpochCommit(spec.key_id, spec.epoch, spec.receivers.roster_digest, spec.receivers.threshold,
                         public.public_key, verification_shares_digest(public.verification_shares),
                         transcript_digest(spec.digest(), transcript.dealings, transcript.responses),
                         bn254_digest(public.bn254) if public.bn254 is not None else None)
    signers = collect_commit_signatures(spec, commit, transcript.commits)
    return TranscriptReport(judgement, public, commit, tuple(signers))


def catch_up(spec: CeremonySpec, transcript: Transcript, receiver_index: int,
             encryption_secret: Scalar) -> tuple[Scalar, TranscriptReport]:
    """Derive an offline member's share from a committed transcript (its ciphertexts are in it)."""
    report = check_transcript(spec, transcript)
    if not report.committed:
        raise CeremonyError(f"transcript of key {spec.key_id} epoch {spec.epoch} is not committed: "
                            f"{len(report.signers)} of {spec.receivers.threshold} commit signatures")
    share = receiver_share(spec, report.judgement, report.public, receiver_index, encryption_secret)
    return share, report


def catch_up_bn254(spec: CeremonySpec, report: TranscriptReport, receiver_index: int,
                   encryption_secret: Scalar) -> Fr:
    """After `catch_up`: the offline member's BN254 share, when the ceremony carries the signing key."""
    return receiver_bn254_share(spec, report.judgement, report.public, receiver_index, encryption_secret)
