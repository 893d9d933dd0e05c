"""Folder store and choosing the newest authentic dump: rollback, re-labelled copies, conflicts,
foreign sealers, damaged files, evidence admission."""

from __future__ import annotations

from pathlib import Path

import pytest
from dump_helpers import flip, make_council, make_sealer, regions, seal_bytes, write

from council.errors import StorageError
from dumps.errors import DumpExists, EvidenceRefused
from dumps.evidence import refuse_simulated
from dumps.listing import list_store
from dumps.newest import Selection, choose_newest
from dumps.store import FolderStore

COUNCIL = make_council()


def _chain(folder: Path, versions: int = 3) -> list[bytes]:
    """Seal versions 1..N, each linking to the previous; return their digests."""
    digests, previous = [], b""
    for v in range(1, versions + 1):
        blob, sealed = seal_bytes(COUNCIL, f"state {v}".encode(), version=v, previous=previous)
        write(folder, f"app-{v:04d}.kcd", blob)
        digests.append(sealed.digest)
        previous = sealed.digest
    return digests


def test_a_chain_may_cross_format_versions(tmp_path: Path) -> None:
    """Version 1 dumps already in a store stay in the chain; the next dump is version 2."""
    v1, s1 = seal_bytes(COUNCIL, b"state 1", version=1, format_version=1)
    v2, s2 = seal_bytes(COUNCIL, b"state 2", version=2, previous=s1.digest)
    write(tmp_path, "app-1.kcd", v1)
    write(tmp_path, "app-2.kcd", v2)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert [c.dump.version for c in sel.chain] == [1, 2] and sel.skipped == []
    assert sel.newest is not None and sel.newest.dump.digest == s2.digest


def _reasons(selection: Selection) -> dict[str, str]:
    return {s.name: s.reason for s in selection.skipped}


def test_newest_of_a_clean_chain(tmp_path: Path) -> None:
    digests = _chain(tmp_path)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.version == 3 and sel.newest.dump.digest == digests[2]
    assert [c.version for c in sel.chain] == [1, 2, 3] and sel.skipped == []


def test_copy_of_version_2_under_a_newer_name_is_a_duplicate(tmp_path: Path) -> None:
    _chain(tmp_path)
    write(tmp_path, "app-9999.kcd", (tmp_path / "app-0002.kcd").read_bytes())
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.name == "app-0003.kcd"
    assert _reasons(sel) == {"app-9999.kcd": "duplicate copy of app-0002.kcd (version 2)"}


def test_version_2_relabelled_in_place_breaks_its_signature(tmp_path: Path) -> None:
    _chain(tmp_path)
    blob = (tmp_path / "app-0002.kcd").read_bytes()
    r = regions(blob)
    at = blob.index(bytes([0x18, 0x02]), r.header_start, r.header_end)  # field 3 (dump_version) = 2
    relabelled = blob[:at + 1] + bytes([0x04]) + blob[at + 2:]
    write(tmp_path, "app-0004.kcd", relabelled)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.version == 3
    assert "HeaderSignatureInvalid" in _reasons(sel)["app-0004.kcd"]


def test_resealed_old_state_as_newer_version_is_a_rollback(tmp_path: Path) -> None:
    digests = _chain(tmp_path)
    blob, _ = seal_bytes(COUNCIL, b"state 2", version=4, previous=digests[1])  # sealer rolled back
    write(tmp_path, "app-0004.kcd", blob)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.version == 3
    assert "chain broken at version 4" in _reasons(sel)["app-0004.kcd"]
    assert "rollback or re-labelled copy" in _reasons(sel)["app-0004.kcd"]


def test_same_version_conflict_and_fork(tmp_path: Path) -> None:
    digests = _chain(tmp_path)
    stale, _ = seal_bytes(COUNCIL, b"other 3", version=3, previous=digests[0])   # links to v1
    write(tmp_path, "app-0003b.kcd", stale)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.name == "app-0003.kcd"
    assert "chain broken at version 3" in _reasons(sel)["app-0003b.kcd"]
    fork, _ = seal_bytes(COUNCIL, b"fork 3", version=3, previous=digests[1])     # also links to v2
    write(tmp_path, "app-0003c.kcd", fork)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.version == 2
    assert "conflict: 2 authentic dumps claim version 3" in _reasons(sel)["app-0003c.kcd"]


def test_successor_of_a_skipped_dump_is_skipped(tmp_path: Path) -> None:
    first, s1 = seal_bytes(COUNCIL, b"a", version=1)
    twin, _ = seal_bytes(COUNCIL, b"b", version=1)
    after, _ = seal_bytes(COUNCIL, b"c", version=2, previous=s1.digest)
    for name, blob in (("a.kcd", first), ("b.kcd", twin), ("c.kcd", after)):
        write(tmp_path, name, blob)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is None
    assert "links to a dump that was skipped" in _reasons(sel)["c.kcd"]


def test_dump_from_a_different_sealer(tmp_path: Path) -> None:
    digests = _chain(tmp_path)
    intruder = make_sealer(b"intruder")
    blob, _ = seal_bytes(COUNCIL, b"evil", version=4, previous=digests[2], sealer=intruder)
    write(tmp_path, "app-0004.kcd", blob)
    sel = choose_newest(FolderStore(tmp_path), "app")
    assert sel.newest is not None and sel.newest.version == 3
    assert "not the chain's sealer" in _reasons(sel)["app-0004.kcd"]
    admitted = choose_newest(FolderStore(tmp_path), "app", admit=lambda ev, key: None)
    assert admitted.newest is not None and admitted.newest.version == 4


def test_evidence_not_admitted(tmp_path: Path) -> None:
    _chain(tmp_path, 2)
    sel = choose_newest(FolderStore(tmp_path), "app", admit=refuse_simulated)
    assert sel.newest is None
    assert all(r.startswith("evidence not admitted: simulated evidence") for r in _reasons(sel).values())


def test_damaged_and_foreign_files(tmp_path: Path) -> None:
    _chain(tmp_path)
    write(tmp_path, "notes.txt", b"not a dump")
    write(tmp_path, "damaged.bin", flip((tmp_path / "app-0003.kcd").read_bytes(), 500))
    (tmp_path / "sub").mkdir()
    other, _ = seal_bytes(COUNCIL, b"x", app="other-app")
    write(tmp_path, "other.kcd", other)
    store = FolderStore(tmp_path)
    assert [e.name for e in store.entries()] == ["app-0001.kcd", "app-0002.kcd", "app-0003.kcd",
                                                  "damaged.bin", "other.kcd"]
    sel = choose_newest(store, "app")
    assert sel.newest is not None and sel.newest.name == "app-0003.kcd"
    assert _reasons(sel)["damaged.bin"].startswith("not authentic: ")
    rows = {r.name: r for r in list_store(store)}
    assert rows["app-0003.kcd"].status == "newest" and rows["app-0001.kcd"].status == "ok"
    assert rows["other.kcd"].status == "newest" and "INSECURE" in rows["other.kcd"].sealer
    assert rows["damaged.bin"].status.startswith("skipped: not authentic")


def test_store_publishes_atomically_and_never_overwrites(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    with store.new_dump("a.kcd") as sink:
        sink.write(b"KCDUMP\x01...")
    assert [e.name for e in store.entries()] == ["a.kcd"]
    with pytest.raises(DumpExists), store.new_dump("a.kcd") as sink:
        sink.write(b"other")
    with pytest.raises(RuntimeError), store.new_dump("b.kcd") as sink:
        sink.write(b"KCDUMP")
        raise RuntimeError("crash while writing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.kcd"]
    for bad in ("../x", ".hidden", ""):
        with pytest.raises(StorageError):
            store.open_entry(bad)
    with pytest.raises(StorageError, match="not a folder"):
        FolderStore(tmp_path / "missing")


def test_simulated_evidence_must_bind_the_sealer_key(tmp_path: Path) -> None:
    from dumps.evidence import check_binding, simulated_evidence

    sealer = make_sealer()
    check_binding(sealer.evidence, sealer.public_key)
    with pytest.raises(EvidenceRefused, match="does not bind"):
        check_binding(simulated_evidence(bytes(32)), sealer.public_key)
