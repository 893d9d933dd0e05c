"""The transcript checker: anyone recomputes a ceremony's outcome from its public messages.

Given the spec and the relayed dealings, responses and commit signatures, it recomputes who was
disqualified or blamed and why, Y, every Y_j, the EpochCommit, and which receivers signed it.
A member that was offline uses the same data to derive its share afterwards (catch-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from council.crypto.ceremony import CommitSignature, collect_commit_signatures
from council.crypto.codec import Reader, Writer
from council.crypto.group import Point, Scalar
from council.crypto.judge import Judgement, judge
from council.crypto.messages import (
    CeremonySpec,
    EpochCommit,
    Signed,
    transcript_digest,
    verification_shares_digest,
)
from council.crypto.output import PublicOutput, public_output, receiver_share
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
        """A JSON-friendly account for auditors."""
        return {
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
                         transcript_digest(spec.digest(), transcript.dealings, transcript.responses))
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


