"""Catch-up: bring members that missed a committed ceremony up to the council's current epoch.

The driver (1) asks every member of the roster for its current epoch of the key, (2) takes the
newest epoch that verifies against the roster, (3) fetches that ceremony's request and transcript
from a member that holds it, and (4) hands both to each member that is behind. Each member checks
the operator's request and the t' commit signatures itself and derives its share from the
ciphertexts in the transcript (council.crypto.transcript).
"""

from __future__ import annotations

from council.driver.client import Failure, clients_for
from council.driver.operator import OperatorFolder
from council.driver.phases import DEFAULT_TIMING, Timing, run_phase
from council.driver.query import QueryError, VerifiedEpoch, epoch_replies
from council.roster import Roster
from council.rpc.gen import council_pb2 as pb


def run_catch_up(roster: Roster, key_id: str, operator: OperatorFolder,
                 timing: Timing = DEFAULT_TIMING) -> dict[str, str]:
    """Steps (1)-(4); returns what happened per member name."""
    by_name = {m.name: m for m in roster.members}
    clients = clients_for(list(roster.members), operator)
    try:
        replies = epoch_replies(roster, key_id, operator, timing, clients)
        current = {n: v for n, v in replies.items() if isinstance(v, VerifiedEpoch)
                   and v.bundle.commit.roster_digest == roster.digest()}
        if not current:
            raise QueryError(f"no member holds a verifiable epoch of key {key_id!r} for this roster")
        latest = max(v.bundle.epoch for v in current.values())
        source = next(n for n, v in current.items() if v.bundle.epoch == latest)
        behind = [n for n, v in replies.items() if not isinstance(v, VerifiedEpoch) or v.bundle.epoch < latest]
        out = {n: f"up to date at epoch {latest}" for n in replies if n not in behind}
        if not behind:
            return out
        tr = clients[by_name[source].signing_key].call(lambda s, t: s.GetTranscript(
            pb.GetTranscriptRequest(key_id=key_id, epoch=latest), timeout=t), timing.call_timeout,
            timing.retry_window)
        if isinstance(tr, Failure):
            raise QueryError(f"cannot fetch the transcript of epoch {latest} from {source}: {tr}")
        res = run_phase(clients, [by_name[n].signing_key for n in behind], lambda s, t: s.CatchUp(
            pb.CatchUpRequest(request=tr.request, transcript=tr.transcript), timeout=t), timing)
        for n in behind:
            key = by_name[n].signing_key
            if key in res.failures:
                out[n] = f"not caught up: {res.failures[key]}"
            else:
                a = res.answers[key]
                out[n] = f"caught up to epoch {a.epoch}" + ("" if a.holds_share else " (no usable share)")
        return out
    finally:
        for c in clients.values():
            c.close()
