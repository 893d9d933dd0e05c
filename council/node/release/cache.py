"""What a member's release path reads on every call, cached and re-checked against the files.

Parsing `epoch.json` (roster, commit, every `Y_j`), unsealing `share.sealed` and building the key's
lineage (every epoch's record and signed ceremony request) cost milliseconds; a member answering
many requests keeps them in memory. Each entry is keyed by the stamp (inode,
mtime, size) of the files it came from, taken on every call, so a new epoch, an erased share
(`share.sealed` removed) or a roster change is seen on the very next call. An unsealed share is
held only while its file exists: erasure drops it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from council.crypto.group import P256, Point, Scalar
from council.node.keystore import EpochRecord
from council.node.node import MemberNode
from council.storage.identity import cert_der
from dumps.lineage import KeyLineage

Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class EpochCache:
    """Epoch records, shares and the trusted operators' certificates of one node."""

    def __init__(self, node: MemberNode) -> None:
        self.node = node
        self._lock = threading.Lock()
        self._records: dict[tuple[str, int], tuple[Stamp, EpochRecord]] = {}
        self._shares: dict[tuple[str, int], tuple[Stamp, Stamp, Scalar, Point]] = {}
        self._lineages: dict[str, tuple[object, KeyLineage]] = {}
        self._operators: tuple[object, frozenset[bytes]] | None = None

    def record(self, key_id: str, epoch: int) -> EpochRecord:
        path = self.node.store.epoch_dir(key_id, epoch) / "epoch.json"
        now = stamp(path)
        with self._lock:
            hit = self._records.get((key_id, epoch))
            if hit is not None and hit[0] == now and now is not None:
                return hit[1]
        rec = self.node.store.record(key_id, epoch)
        with self._lock:
            self._records[(key_id, epoch)] = (now, rec)
        return rec

    def share(self, key_id: str, epoch: int) -> tuple[Scalar, Point]:
        """The unsealed, checked share (KeyStore.load_share) and its public `x_i·G`, while its files
        are unchanged."""
        folder = self.node.store.epoch_dir(key_id, epoch)
        stamps = (stamp(folder / "epoch.json"), stamp(folder / "share.sealed"))
        with self._lock:
            hit = self._shares.get((key_id, epoch))
            if hit is not None and hit[:2] == stamps and None not in stamps:
                return hit[2], hit[3]
            self._shares.pop((key_id, epoch), None)
        share = self.node.store.load_share(key_id, epoch)
        public = P256.base_mul(share)
        with self._lock:
            self._shares[(key_id, epoch)] = (*stamps, share, public)
        return share, public

    def lineage(self, key_id: str) -> KeyLineage:
        """`MemberNode.lineage`, while no epoch folder of the key gained, lost or changed a file it
        reads (epoch.json, request.bin)."""
        store = self.node.store
        key = tuple((e, stamp(store.epoch_dir(key_id, e) / "epoch.json"),
                     stamp(store.epoch_dir(key_id, e) / "request.bin")) for e in store.epochs(key_id))
        with self._lock:
            hit = self._lineages.get(key_id)
            if hit is not None and hit[0] == key:
                return hit[1]
        lineage = self.node.lineage(key_id)
        with self._lock:
            self._lineages[key_id] = (key, lineage)
        return lineage

    def operator_certs(self) -> frozenset[bytes]:
        """DER certificates of the operators of every roster the node trusts."""
        store = self.node.store
        key = tuple((k, e, stamp(store.epoch_dir(k, e) / "epoch.json"))
                    for k in store.key_ids() for e in store.epochs(k)[-1:])
        with self._lock:
            if self._operators is not None and self._operators[0] == key:
                return self._operators[1]
        certs = frozenset(cert_der(o.tls_cert, f"operator {o.name!r}")
                          for r in self.node.trusted_rosters() for o in r.operators)
        with self._lock:
            self._operators = (key, certs)
        return certs
