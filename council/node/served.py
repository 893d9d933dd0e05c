"""The roster a member serves follows its newest committed epoch.

After a re-share the member's new committee is the roster of that epoch; a member restarted
without `--roster` (or with the roster of an epoch it has left behind) must not keep serving the
old one. (1) At start, `choose_served` picks the roster of the newest committed epoch the member
belongs to when the roster given is the one kept from the last start or the roster of an older
epoch; a roster the member has never committed under (a new council before its DKG) is served
as given. (2) After each commit or catch-up, `follow_committed` adopts the epoch's roster and keeps
it as `DIR/roster.json` for the next start. Both log `roster-followed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from council.node.keystore import EpochRecord, KeyStore
from council.roster import Roster
from council.storage.files import write_atomic

if TYPE_CHECKING:
    from council.node.node import MemberNode

SERVED_ROSTER = "roster.json"


def committed_unix_ms(store: KeyStore, rec: EpochRecord) -> int:
    """When this member stored the epoch (the time its `epoch.json` was written), or 0."""
    path = store.epoch_dir(rec.key_id, rec.epoch) / "epoch.json"
    try:
        return int(path.stat().st_mtime * 1000)
    except OSError:
        return 0


def newest_membership(store: KeyStore) -> EpochRecord | None:
    """The most recently committed current epoch (over all keys) whose roster lists this member."""
    best: tuple[int, int, EpochRecord] | None = None
    for key_id in store.key_ids():
        rec = store.current(key_id)
        if rec is None or rec.roster.index_of(store.signing_key) is None:
            continue
        rank = (committed_unix_ms(store, rec), rec.epoch, rec)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def older_rosters(store: KeyStore) -> set[bytes]:
    """Digests of the rosters of every stored epoch that is no key's current epoch."""
    current: set[bytes] = set()
    older: set[bytes] = set()
    for key_id in store.key_ids():
        epochs = store.epochs(key_id)
        for e in epochs:
            (current if e == epochs[-1] else older).add(store.record(key_id, e).roster.digest())
    return older - current


def choose_served(store: KeyStore, given: Roster, given_is_kept: bool) -> Roster:
    """Step (1): the roster to serve at start."""
    newest = newest_membership(store)
    if newest is None or newest.roster.digest() == given.digest():
        return given
    if given_is_kept or given.digest() in older_rosters(store):
        return newest.roster
    return given


def follow_committed(node: MemberNode, rec: EpochRecord) -> None:
    """Step (2): serve the roster of an epoch just committed here, if this member is in it."""
    roster = rec.roster
    if roster.digest() == node.served.digest() or roster.index_of(node.store.signing_key) is None:
        return
    adopt(node, roster, f"committed key {rec.key_id!r} epoch {rec.epoch}")


def adopt(node: MemberNode, roster: Roster, why: str) -> None:
    """Serve `roster` from now on and keep it for the next start."""
    old = node.served.digest().hex()
    node.served = roster
    write_atomic(node.folder.path / SERVED_ROSTER, roster.canonical_bytes())
    node.log.event("roster-followed", previous=old, roster=roster.digest().hex(), reason=why)
