"""Reading the council: each member's epoch data, the verified key bundle, status."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from council.bundle import BundleError, KeyBundle
from council.crypto.bn254.sharing import BnPrevious
from council.crypto.group import Point
from council.crypto.messages import CommitSignature, EpochCommit, Signed, verification_shares_digest
from council.driver.client import MemberClient, clients_for
from council.driver.key_log import log_notices
from council.driver.log_client import LogClient
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing, run_phase
from council.errors import DecodeError, KeycouncilError, PeerUnavailable
from council.protocol.ceremony_request import EpochData
from council.protocol.gen import council_pb2 as pb
from council.roster import Roster

EpochKey = tuple[bytes, bytes, bytes, tuple[bytes, ...], tuple[bytes, ...]]
"""What a GetEpoch reply's verification depends on: commit, roster, signing key, signatures, Y_j list."""


class QueryError(KeycouncilError):
    """No member gave a verifiable answer."""


@dataclass(frozen=True)
class VerifiedEpoch:
    """An epoch whose commit verifies against its roster, with its verification shares."""

    bundle: KeyBundle
    data: EpochData
    confirmations: tuple[bytes, ...] = ()
    """Stored confirmations the member showed for this epoch (council.protocol.stored), unverified."""


def verify_epoch(reply: pb.GetEpochReply, source: str) -> VerifiedEpoch:
    """Check a member's epoch reply: t commit signatures of its roster, Y_j list matching."""
    try:
        roster = Roster.loads(reply.roster_json, f"{source}.roster")
        commit = EpochCommit.from_bytes(reply.commit)
        msgs = [Signed.from_bytes(b) for b in reply.commit_signatures]
        shares = {j: Point.from_bytes(b, f"{source}.Y_{j}")
                  for j, b in enumerate(reply.verification_shares, start=1)}
        signing = BnPrevious.from_bytes(reply.signing_key, f"{source}.signing_key") if reply.signing_key else None
    except (KeycouncilError, ValueError) as exc:
        raise BundleError(f"{source}: {exc}") from None
    body = commit.to_bytes()
    sigs = tuple(CommitSignature(m.sender, m.signature) for m in msgs if m.body == body)
    if commit.bn254_digest is not None and signing is None:
        raise BundleError(f"{source}: the epoch has a signing key but the member did not send its public data")
    bundle = KeyBundle(commit, sigs, roster, source, signing=signing)
    bundle.verify()
    if verification_shares_digest(shares) != commit.verification_shares_digest:
        raise BundleError(f"{source}: verification shares do not match the commit")
    return VerifiedEpoch(bundle, EpochData(commit, sigs, shares, signing), tuple(reply.stored_confirmations))


def _verify_once(reply: pb.GetEpochReply, source: str, verified: dict[EpochKey, VerifiedEpoch]) -> VerifiedEpoch:
    """`verify_epoch`, once per content: members of one epoch send the same commit, signatures,
    roster and Y_j list, and the same bytes verify alike (a reply that differs in any of them is
    verified on its own; one that failed is checked again, so that its error names its member)."""
    key = (reply.commit, reply.roster_json, reply.signing_key, tuple(reply.commit_signatures),
           tuple(reply.verification_shares))
    seen = verified.get(key)
    if seen is None:
        seen = verified[key] = verify_epoch(reply, source)
        return seen
    return replace(seen, bundle=replace(seen.bundle, source=source), confirmations=tuple(reply.stored_confirmations))


def epoch_replies(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing,
                  clients: dict[bytes, MemberClient] | None = None) -> dict[str, VerifiedEpoch | str]:
    """Each member's current epoch of `key_id` (verified), or why there is none, by member name."""
    own = clients is None
    clients = clients or clients_for(list(roster.members), operator)
    try:
        keys = [m.signing_key for m in roster.members]
        res = run_phase(clients, keys, lambda s, t: s.GetEpoch(
            pb.GetEpochRequest(key_id=key_id, current=True), timeout=t), timing)
        out: dict[str, VerifiedEpoch | str] = {}
        verified: dict[EpochKey, VerifiedEpoch] = {}
        for m in roster.members:
            if m.signing_key in res.failures:
                out[m.name] = str(res.failures[m.signing_key])
                continue
            try:
                out[m.name] = _verify_once(res.answers[m.signing_key], f"member {m.name!r}", verified)
            except (BundleError, DecodeError) as exc:
                out[m.name] = str(exc)
        return out
    finally:
        if own:
            for c in clients.values():
                c.close()


def latest_epoch(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing,
                 pinned: bytes | None = None) -> VerifiedEpoch:
    """The newest verifiable epoch any member reports (its roster digest must be `pinned`)."""
    replies = epoch_replies(roster, key_id, operator, timing)
    good = [v for v in replies.values() if isinstance(v, VerifiedEpoch)
            and (pinned is None or v.bundle.commit.roster_digest == pinned)]
    if not good:
        detail = "; ".join(f"{name}: {_why(v)}" for name, v in replies.items())
        raise QueryError(f"no member gave a verifiable epoch of key {key_id!r} for this roster ({detail})")
    return max(good, key=lambda v: v.bundle.epoch)


def _why(reply: VerifiedEpoch | str) -> str:
    if isinstance(reply, str):
        return reply
    return (f"holds epoch {reply.bundle.epoch} of roster {reply.bundle.commit.roster_digest.hex()[:16]}…, "
            "not of this roster")


def fetch_bundle(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing) -> KeyBundle:
    """The key bundle of the roster's current epoch, verified against the roster, with what the
    key's council log says of it (superseded by a successor, retired: `KeyBundle.notices`)."""
    bundle = latest_epoch(roster, key_id, operator, timing, pinned=roster.digest()).bundle
    bundle.verify(expected_roster_digest=roster.digest())
    with LogClient(roster.members, operator, timing) as client:
        _, records = client.read(key_id)
    return replace(bundle, notices=log_notices(records))


@dataclass(frozen=True)
class MemberStatus:
    """One row of `council status`."""

    name: str
    reachable: bool
    detail: str
    version: str
    epochs: dict[str, str]
    ceremonies: dict[str, str] = field(default_factory=dict)
    """Ceremony id (hex) → state, for ceremonies in flight and the most recent finished ones."""
    ceremony_keys: dict[str, str] = field(default_factory=dict)
    """Ceremony id (hex) → "key epoch" it creates."""


def council_status(roster: Roster, operator: OperatorFolder, timing: Timing) -> list[MemberStatus]:
    """Ask every member for its status (unreachable members are reported, not errors)."""
    clients = clients_for(list(roster.members), operator)
    try:
        res = run_phase(clients, [m.signing_key for m in roster.members],
                        lambda s, t: s.Status(pb.StatusRequest(), timeout=t), timing)
    finally:
        for c in clients.values():
            c.close()
    rows = []
    for m in roster.members:
        if m.signing_key in res.failures:
            rows.append(MemberStatus(m.name, False, str(res.failures[m.signing_key]), "", {}))
            continue
        s = res.answers[m.signing_key]
        epochs = {k.key_id: f"{k.epoch}" + ("" if k.holds_share else " (no share)") for k in s.keys}
        ceremonies = {c.ceremony_id: c.state + (f" ({c.reason})" if c.reason else "") for c in s.recent}
        for cid in s.ceremonies:  # a member that reports only its ids in flight
            ceremonies.setdefault(cid, "in-flight")
        keys = {c.ceremony_id: f"{c.key_id} {c.epoch}" for c in s.recent}
        rows.append(MemberStatus(m.name, True, "insecure dev mode" if s.insecure else "", s.version, epochs,
                                 ceremonies, keys))
    return rows


def require_reachable(rows: list[MemberStatus]) -> None:
    """Raise PeerUnavailable if no member answered."""
    if not any(r.reachable for r in rows):
        raise PeerUnavailable("no member of the roster answered")
