"""`council status` as data: each member's keys, epochs, roster digests, and what is stale.

(1) Ask every member of the roster for its `Status` (unreachable members are rows, not errors).
(2) For each key: the newest epoch any member reports, and when a member last stored an epoch.
(3) Flag a member as stale when it serves another roster than the one asked about, when a key's
epoch on it is of another roster, or when it is behind the newest epoch (then `ceremony
catch-up` brings it up). The client identity may be an operator's or a read-only auditor's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from council.driver.client import ClientIdentity, clients_for
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing, run_phase
from council.protocol.gen import council_pb2 as pb
from council.roster import Roster


@dataclass(frozen=True)
class KeyOnMember:
    """One key as one member reports it."""

    epoch: int
    holds_share: bool
    roster_digest: str
    committed_unix_ms: int
    signing_public_key: str = ""
    """The council's BN254 G2 signing key (hex, EIP-197 order), empty if the epoch has none."""


@dataclass
class MemberRow:
    """One member's line of `council status`."""

    name: str
    index: int
    reachable: bool
    version: str = ""
    insecure: bool = False
    served_roster: str = ""
    keys: dict[str, KeyOnMember] = field(default_factory=dict)
    ceremonies: tuple[str, ...] = ()
    error: str = ""
    stale: list[str] = field(default_factory=list)
    recent: dict[str, str] = field(default_factory=dict)
    """Ceremony id (hex) → state, in flight and recently finished (newest first)."""
    ceremony_keys: dict[str, str] = field(default_factory=dict)
    chain: str = ""
    """The member's view of the chain anchor: empty (none configured), "ok" or "unavailable: …"."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "index": self.index, "reachable": self.reachable,
                "version": self.version or None, "insecure": self.insecure,
                "served_roster_digest": self.served_roster or None, "error": self.error or None,
                "stale": list(self.stale), "ceremonies_in_flight": list(self.ceremonies),
                "ceremonies": [{"ceremony_id": c, "state": st, "key": self.ceremony_keys.get(c)}
                               for c, st in self.recent.items()],
                "chain": self.chain or None,
                "keys": {k: {"epoch": v.epoch, "holds_share": v.holds_share,
                             "roster_digest": v.roster_digest,
                             "committed_unix_ms": v.committed_unix_ms or None,
                             "signing_public_key": v.signing_public_key or None}
                         for k, v in sorted(self.keys.items())}}


@dataclass(frozen=True)
class KeySummary:
    """One key over the council: the newest epoch, who holds it, the last epoch change."""

    key_id: str
    epoch: int
    members_at_epoch: int
    last_change_unix_ms: int
    signing_public_key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "epoch": self.epoch, "members_at_epoch": self.members_at_epoch,
                "last_change_unix_ms": self.last_change_unix_ms or None,
                "signing_public_key": self.signing_public_key or None}


@dataclass(frozen=True)
class CouncilReport:
    """Every member row and every key's summary, for one roster."""

    roster_digest: str
    rows: list[MemberRow]
    keys: list[KeySummary]

    @property
    def any_reachable(self) -> bool:
        return any(r.reachable for r in self.rows)


def council_report(roster: Roster, client: OperatorFolder | ClientIdentity, timing: Timing) -> CouncilReport:
    """Steps (1)-(3)."""
    clients = clients_for(list(roster.members), client)
    try:
        res = run_phase(clients, [m.signing_key for m in roster.members],
                        lambda s, t: s.Status(pb.StatusRequest(), timeout=t), timing)    # (1)
    finally:
        for c in clients.values():
            c.close()
    rows = []
    for i, m in enumerate(roster.members, start=1):
        if m.signing_key in res.failures:
            rows.append(MemberRow(m.name, i, False, error=str(res.failures[m.signing_key])))
        else:
            rows.append(_row(m.name, i, res.answers[m.signing_key]))
    keys = _summaries(rows)                                                              # (2)
    digest = roster.digest().hex()
    for row in rows:
        _flag(row, digest, {k.key_id: k.epoch for k in keys})                            # (3)
    return CouncilReport(digest, rows, keys)


def _row(name: str, index: int, s: pb.StatusReply) -> MemberRow:
    keys = {k.key_id: KeyOnMember(k.epoch, k.holds_share, bytes(k.roster_digest).hex(), k.committed_unix_ms,
                                  bytes(k.signing_public_key).hex())
            for k in s.keys}
    recent = {c.ceremony_id: c.state + (f" ({c.reason})" if c.reason else "") for c in s.recent}
    for cid in s.ceremonies:  # a member that reports only its ids in flight
        recent.setdefault(cid, "in-flight")
    return MemberRow(name, index, True, s.version, s.insecure, bytes(s.served_roster_digest).hex(), keys,
                     tuple(s.ceremonies), recent=recent,
                     ceremony_keys={c.ceremony_id: f"{c.key_id} {c.epoch}" for c in s.recent}, chain=s.chain)


def _summaries(rows: list[MemberRow]) -> list[KeySummary]:
    out = []
    for key_id in sorted({k for r in rows for k in r.keys}):
        held = [r.keys[key_id] for r in rows if key_id in r.keys]
        newest = max(k.epoch for k in held)
        at = [k for k in held if k.epoch == newest]
        signing = next((k.signing_public_key for k in at if k.signing_public_key), "")
        out.append(KeySummary(key_id, newest, len(at), max(k.committed_unix_ms for k in at), signing))
    return out


def _flag(row: MemberRow, digest: str, newest: dict[str, int]) -> None:
    if not row.reachable:
        return
    if row.served_roster and row.served_roster != digest:
        row.stale.append(f"serves roster {row.served_roster[:16]}…, not this roster")
    for key_id, k in sorted(row.keys.items()):
        if k.epoch < newest[key_id]:
            row.stale.append(f"{key_id} at epoch {k.epoch} < {newest[key_id]}: run ceremony catch-up")
        elif k.roster_digest and k.roster_digest != digest:
            row.stale.append(f"{key_id} epoch {k.epoch} is of roster {k.roster_digest[:16]}…")
