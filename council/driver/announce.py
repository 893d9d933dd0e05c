"""Dump announcements in the council log: the `dumps.app.Announce` extension point over gRPC.

A dump-announced entry (app, version, dump digest, previous digest) is authored and signed by the
sealer: its signing key must be a sealer admitted in the key's log (`keycouncil log admit-sealer`).
Members check the signature, that the sealer is admitted and not revoked, and that the version
grows along the announced chain; they approve it without their operators (it is a record). The
entry travels over a roster identity's TLS channel (an operator folder): the carrier cannot alter
it, only the sealer can sign it. The newest announced version is what `keycouncil recover` takes.
"""

from __future__ import annotations

from council.crypto.signing import Signer
from council.driver.log_client import AppendReport, LogAppendFailed, LogClient, signer_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.log import DumpAnnounced
from council.log.kinds import Role
from council.roster import Roster
from dumps.publisher import ChainHead, Published
from dumps.sealer import SealingIdentity


def sealer_signer(sealer: SealingIdentity) -> Signer:
    """The sealer's Ed25519 key as a log author (the same key that signs its dumps)."""
    return Signer(sealer.private_key)


def announce_dump(roster: Roster, key_id: str, sealer: SealingIdentity, transport: OperatorFolder,
                  timing: Timing, app_id: str, version: int, digest: bytes, previous: bytes) -> AppendReport:
    """Append a dump-announced entry for one dump; LogAppendFailed unless `t` members approved it."""
    with LogClient(roster.members, transport, timing) as client:
        state, records = client.read(key_id)
        if not state.started:
            raise PolicyRefused(f"key {key_id!r} has no council log on these members (no genesis entry)")
        head = state.newest(app_id)
        if head is not None and (head.version, head.digest) == (version, digest):
            done = records[head.seq]
            return AppendReport(done.entry, state.threshold, record=done)
        body = DumpAnnounced(app_id, version, digest, previous)
        report = client.append(state, signer_entry(sealer_signer(sealer), Role.SEALER, state, body))
        if not report.accepted:
            raise LogAppendFailed(f"{app_id} version {version} is not announced: {report.summary()}")
        return report


class LogAnnouncer:
    """`dumps.app.Announce` over the council log of `key_id` (the target key's id)."""

    def __init__(self, roster: Roster, key_id: str, sealer: SealingIdentity, transport: OperatorFolder,
                 timing: Timing | None = None) -> None:
        self.roster, self.key_id, self.sealer, self.transport = roster, key_id, sealer, transport
        self.timing = timing or Timing(10.0, 2.0)
        self.reports: list[AppendReport] = []

    def latest(self, app_id: str) -> ChainHead | None:
        """The newest announced dump of `app_id` in the log, or None."""
        with LogClient(self.roster.members, self.transport, self.timing) as client:
            state, _ = client.read(self.key_id)
        head = state.newest(app_id)
        return None if head is None else ChainHead(head.version, head.digest, f"log entry {head.seq}")

    def announce(self, app_id: str, published: Published) -> None:
        """Announce a dump just published; LogAppendFailed if the members do not accept it."""
        header = published.sealed.header
        self.reports.append(announce_dump(self.roster, self.key_id, self.sealer, self.transport, self.timing,
                                          app_id, published.version, published.digest, header.previous_digest))
