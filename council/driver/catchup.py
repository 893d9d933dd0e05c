"""Catch-up: bring members that missed a committed ceremony up to the council's current epoch.

The driver (0) brings every member's copy of the key's council log up to date (a member catches up
only to an epoch its log records), (1) asks every member of the roster for its current epoch of the key, (2) takes the
newest epoch that verifies against the roster, (3) fetches that ceremony's request and transcript
from a member that holds it, and (4) hands both to each member that is behind. Each member checks
the operator's request and the t' commit signatures itself and derives its share from the
ciphertexts in the transcript (council.crypto.transcript). (5) Members of a previous roster that
left the committee and missed the re-share get the transcript of the epoch after theirs: they
check it the same way. (6) Old shares are erased only on proof of storage: the driver relays the
stored confirmations members showed for the epoch (and those the caught-up members give), and once
`t'` receivers confirmed, tells every member to erase what is older (protocol.md, "Commit and erase").
"""

from __future__ import annotations

from collections.abc import Sequence

from council.driver.client import Failure, MemberClient, clients_for
from council.driver.log_client import LogClient
from council.driver.operator import OperatorFolder
from council.driver.phases import DEFAULT_TIMING, PhaseResult, Timing, run_phase
from council.driver.query import QueryError, VerifiedEpoch, epoch_replies
from council.protocol.gen import council_pb2 as pb
from council.roster import MemberCard, Roster


def run_catch_up(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing = DEFAULT_TIMING,
                 leaving: Roster | None = None) -> dict[str, str]:
    """Steps (0)-(5); returns what happened per member name."""
    cards = [*roster.members, *(leaving.members if leaving else ())]
    with LogClient(cards, operator, timing) as log:  # (0) the key's council log first: members check it
        log.read(key_id)
    clients = clients_for(cards, operator)
    try:
        replies = epoch_replies(roster, key_id, operator, timing, clients)
        current = {n: v for n, v in replies.items() if isinstance(v, VerifiedEpoch)
                   and v.bundle.commit.roster_digest == roster.digest()}
        if not current:
            raise QueryError(f"no member holds a verifiable epoch of key {key_id!r} for this roster")
        latest = max(v.bundle.epoch for v in current.values())
        behind = [m for m in roster.members if _epoch_of(replies[m.name]) < latest]
        out = {m.name: f"up to date at epoch {latest}" for m in roster.members if m not in behind}
        proof = [c for v in current.values() if v.bundle.epoch == latest for c in v.confirmations]
        push = _Push(clients, list(roster.members), key_id, latest, timing, proof)
        if behind:
            out.update(push.to(behind))
        if leaving is not None:
            out.update(_leavers(clients, roster, leaving, key_id, operator, timing, push))
        out.update(push.erase([m for m in roster.members if m not in behind]))
        return out
    finally:
        for c in clients.values():
            c.close()


def _epoch_of(reply: VerifiedEpoch | str) -> int:
    """The epoch a member reported, or -1 if it reported none."""
    return reply.bundle.epoch if isinstance(reply, VerifiedEpoch) else -1


class _Push:
    """Steps (3)-(4) and (6) for one epoch: the transcript, and the stored confirmations so far."""

    def __init__(self, clients: dict[bytes, MemberClient], sources: Sequence[MemberCard], key_id: str,
                 epoch: int, timing: Timing, proof: list[bytes]) -> None:
        self.clients, self.sources, self.key_id, self.epoch, self.timing = clients, sources, key_id, epoch, timing
        self.proof = proof
        self._tr: pb.GetTranscriptReply | None = None

    def transcript(self) -> pb.GetTranscriptReply:
        if self._tr is None:
            self._tr = _transcript(self.clients, self.sources, self.key_id, self.epoch, self.timing)
        return self._tr

    def call(self, targets: Sequence[MemberCard]) -> PhaseResult[pb.CatchUpReply]:
        tr = self.transcript()
        res = run_phase(self.clients, [m.signing_key for m in targets], lambda s, t: s.CatchUp(
            pb.CatchUpRequest(request=tr.request, transcript=tr.transcript,
                              stored_confirmations=self.proof), timeout=t), self.timing)
        self.proof += [a.stored_confirmation for a in res.answers.values() if a.stored_confirmation]
        return res

    def to(self, targets: Sequence[MemberCard]) -> dict[str, str]:
        res = self.call(targets)
        out = {}
        for m in targets:
            if m.signing_key in res.failures:
                out[m.name] = f"not caught up: {res.failures[m.signing_key]}"
                continue
            a = res.answers[m.signing_key]
            if a.holds_share:
                out[m.name] = f"caught up to epoch {a.epoch}"
            else:
                out[m.name] = f"at epoch {a.epoch} without a share" + (
                    "; erased its old share" if a.erased_previous else "")
        return out

    def erase(self, members: Sequence[MemberCard]) -> dict[str, str]:
        """Step (6): with t' confirmations, every member erases its shares older than the epoch."""
        if not self.proof or not members:
            return {}
        res = self.call(members)
        return {m.name: f"up to date at epoch {res.answers[m.signing_key].epoch}; erased its old share"
                for m in members if m.signing_key in res.answers and res.answers[m.signing_key].erased_previous}


def _transcript(clients: dict[bytes, MemberClient], sources: Sequence[MemberCard], key_id: str, epoch: int,
                timing: Timing) -> pb.GetTranscriptReply:
    failures = []
    for m in sources:
        tr = clients[m.signing_key].call(lambda s, t: s.GetTranscript(
            pb.GetTranscriptRequest(key_id=key_id, epoch=epoch), timeout=t), timing.call_timeout, 0.0)
        assert isinstance(tr, pb.GetTranscriptReply | Failure)
        if isinstance(tr, pb.GetTranscriptReply):
            return tr
        failures.append(f"{m.name}: {tr}")
    raise QueryError(f"no member gave the transcript of key {key_id!r} epoch {epoch}: " + "; ".join(failures))


def _leavers(clients: dict[bytes, MemberClient], roster: Roster, leaving: Roster, key_id: str,
             operator: OperatorFolder, timing: Timing, push: _Push) -> dict[str, str]:
    """Step (5)."""
    staying = {m.signing_key for m in roster.members}
    replies = epoch_replies(leaving, key_id, operator, timing, clients)
    out: dict[str, str] = {}
    for m in leaving.members:
        v = replies[m.name]
        if m.signing_key in staying:
            continue
        if not isinstance(v, VerifiedEpoch):
            out[m.name] = f"left; not reachable or no epoch: {v}"
        elif v.bundle.commit.roster_digest != leaving.digest():
            out[m.name] = f"left; at epoch {v.bundle.epoch} of another roster, nothing to do"
        else:
            target = push if v.bundle.epoch + 1 == push.epoch else _Push(
                clients, [*roster.members, *leaving.members], key_id, v.bundle.epoch + 1, timing, [])
            out.update(target.to([m]))
    return out
