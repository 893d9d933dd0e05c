"""What a member's release path reads on every call, cached and re-checked against the files.

Parsing `epoch.json` (roster, commit, every `Y_j`), unsealing `share.sealed` and building the key's
lineage (every epoch's record and signed ceremony request) cost milliseconds; a member answering
many requests keeps them in memory, and with an unsealed share the products `x_i·R` of the last
few dumps' `R` (`ShareProducts`: every request for one dump carries the same `R`). Each entry is keyed by the stamp (inode,
mtime, size) of the files it came from, taken on every call, so a new epoch, an erased share
(`share.sealed` removed) or a roster change is seen on the very next call. An unsealed share is
held only while its file exists: erasure drops it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from council.crypto.group import P256, Point, Scalar
from council.node.keystore import EpochRecord, check_key_id
from council.node.node import MemberNode
from council.storage.files import Stamp, stamp
from council.storage.identity import cert_der
from dumps.lineage import KeyLineage

EpochStamps = tuple[tuple[int, Stamp], ...]
"""Each committed epoch of one key (a numbered folder holding `epoch.json`) with that file's stamp."""


class ShareProducts:
    """`R ↦ x_i·R` for one unsealed share, for the last `MAX_PRODUCTS` points `R` (by their
    canonical encoding): the constant-time product is computed once per dump instead of once per
    request. Lives in the share's cache entry, so it is dropped with the share (erasure, a new
    epoch). Only points of ciphertexts whose KEM proof verified reach it (decide_release)."""

    MAX_PRODUCTS = 16

    def __init__(self, share: Scalar) -> None:
        self._share = share
        self._lock = threading.Lock()
        self._products: OrderedDict[bytes, Point] = OrderedDict()

    def __call__(self, r: Point) -> Point:
        key = r.to_bytes()
        with self._lock:
            hit = self._products.get(key)
            if hit is not None:
                self._products.move_to_end(key)
                return hit
        product = r * self._share  # outside the lock: libcrypto releases the GIL for it
        with self._lock:
            self._products[key] = product
            while len(self._products) > self.MAX_PRODUCTS:
                self._products.popitem(last=False)
        return product


class EpochCache:
    """Epoch records, shares and the trusted operators' certificates of one node.

    The files are looked at with plain `os` calls on strings: one listing of the key's folder and
    one `stat` per file a call depends on (pathlib's objects cost more than the system calls)."""

    def __init__(self, node: MemberNode) -> None:
        self.node = node
        self._lock = threading.Lock()
        self._records: dict[tuple[str, int], tuple[Stamp, EpochRecord]] = {}
        self._shares: dict[tuple[str, int], tuple[Stamp, Stamp, Scalar, Point, ShareProducts]] = {}
        self._lineages: dict[str, tuple[object, KeyLineage]] = {}
        self._operators: tuple[object, frozenset[bytes]] | None = None

    def _key_dir(self, key_id: str) -> str:
        return os.path.join(self.node.store.root, check_key_id(key_id))

    def epochs(self, key_id: str) -> EpochStamps:
        """`KeyStore.epochs(key_id)` (sorted), each with the stamp of its `epoch.json`."""
        folder = self._key_dir(key_id)
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return ()
        found = []
        for name in names:
            if name.isdigit():
                now = stamp(f"{folder}/{name}/epoch.json")
                if now is not None:
                    found.append((int(name), now))
        return tuple(sorted(found))

    def record(self, key_id: str, epoch: int, now: Stamp | None = None) -> EpochRecord:
        """The parsed `epoch.json` while its stamp is unchanged (`now`: the stamp just taken)."""
        if now is None:
            now = stamp(f"{self._key_dir(key_id)}/{epoch}/epoch.json")
        with self._lock:
            hit = self._records.get((key_id, epoch))
            if hit is not None and hit[0] == now and now is not None:
                return hit[1]
        rec = self.node.store.record(key_id, epoch)
        with self._lock:
            self._records[(key_id, epoch)] = (now, rec)
        return rec

    def share(self, key_id: str, epoch: int, record_stamp: Stamp | None = None) -> tuple[Scalar, Point, ShareProducts]:
        """The unsealed, checked share (KeyStore.load_share), its public `x_i·G` and its products
        with dumps' `R`, while its files are unchanged (`record_stamp`: the stamp of `epoch.json`
        just taken)."""
        folder = f"{self._key_dir(key_id)}/{epoch}"
        stamps = (record_stamp if record_stamp is not None else stamp(f"{folder}/epoch.json"),
                  stamp(f"{folder}/share.sealed"))
        with self._lock:
            hit = self._shares.get((key_id, epoch))
            if hit is not None and hit[:2] == stamps and None not in stamps:
                return hit[2], hit[3], hit[4]
            self._shares.pop((key_id, epoch), None)
        share = self.node.store.load_share(key_id, epoch)
        public, products = P256.base_mul(share), ShareProducts(share)
        with self._lock:
            self._shares[(key_id, epoch)] = (*stamps, share, public, products)
        return share, public, products

    def lineage(self, key_id: str, epochs: EpochStamps | None = None) -> KeyLineage:
        """`MemberNode.lineage`, while no epoch folder of the key gained, lost or changed a file it
        reads (epoch.json, request.bin); `epochs`: `self.epochs(key_id)` just taken."""
        folder = self._key_dir(key_id)
        key = tuple((e, now, stamp(f"{folder}/{e}/request.bin"))
                    for e, now in (epochs if epochs is not None else self.epochs(key_id)))
        with self._lock:
            hit = self._lineages.get(key_id)
            if hit is not None and hit[0] == key:
                return hit[1]
        lineage = self.node.lineage(key_id)
        with self._lock:
            self._lineages[key_id] = (key, lineage)
        return lineage

    def listing(self) -> dict[str, EpochStamps]:
        """`epochs(k)` of every key folder, taken once for one call: the caller check and the
        request's own key read the same listing."""
        return {k: self.epochs(k) for k in self.node.store.key_ids()}

    def operator_certs(self, listing: dict[str, EpochStamps] | None = None) -> frozenset[bytes]:
        """DER certificates of the operators of every roster the node trusts (`listing`: this
        call's `listing()`, else taken now)."""
        epochs = listing if listing is not None else self.listing()
        key = tuple((k, *stamps[-1:]) for k, stamps in epochs.items())
        with self._lock:
            if self._operators is not None and self._operators[0] == key:
                return self._operators[1]
        certs = frozenset(cert_der(o.tls_cert, f"operator {o.name!r}")
                          for r in self.node.trusted_rosters() for o in r.operators)
        with self._lock:
            self._operators = (key, certs)
        return certs

