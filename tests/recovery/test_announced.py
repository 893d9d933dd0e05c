"""recovery.announced without a network: the log's newest announcement against a folder store
(deleted, damaged, re-labelled or unannounced dumps; --version; --allow-older), and the sealer
card parser (fuzzed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recovery_helpers import seal_versions, two_epochs

from council.errors import KeycouncilError
from council.log import AppHead
from dumps.newest import authentic_dumps
from dumps.sealer import SealingIdentity
from dumps.sealer_card import SealerCard
from dumps.store import FolderStore
from recovery.announced import NewestNotRecoverable, resolve
from recovery.choose import NoDumpToRecover, choose_dump


def _store(tmp_path: Path, n: int = 3) -> tuple[FolderStore, AppHead]:
    """`n` chained dumps of "app" and the log's head announcing all of them."""
    e = two_epochs()
    paths = seal_versions(tmp_path, [e.new] * n, [f"state {k}".encode() for k in range(n)])
    store = FolderStore(tmp_path)
    found, _ = authentic_dumps(store, "app")
    head: AppHead | None = None
    for c in sorted(found, key=lambda c: c.version):
        head = AppHead("app", c.version, c.dump.digest, 10 + c.version, b"s" * 32, head)
    assert head is not None and len(paths) == n
    return store, head


def test_intact_store_takes_the_announced_newest(tmp_path: Path) -> None:
    store, head = _store(tmp_path)
    r = resolve(store, choose_dump(store, "app"), head)
    assert (r.chosen.version, r.older, r.notices) == (3, None, ())


def test_no_announcement_keeps_the_stores_choice_with_a_notice(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    r = resolve(store, choose_dump(store, "app"), None)
    assert r.chosen.version == 3 and "not confirmed by the log" in r.notices[0]


@pytest.mark.parametrize("damage", ["delete", "flip", "relabel"])
def test_missing_or_damaged_newest_stops_naming_it(tmp_path: Path, damage: str) -> None:
    store, head = _store(tmp_path)
    newest = next(p for p in tmp_path.iterdir() if "3" in p.name)
    if damage == "delete":
        newest.unlink()
    elif damage == "flip":
        data = bytearray(newest.read_bytes())
        data[-100] ^= 0x80
        newest.write_bytes(bytes(data))
    else:  # the store's version 3 is another dump than the announced one
        head = AppHead("app", 3, b"\x07" * 32, 13, b"s" * 32, head.parent)
    with pytest.raises(NewestNotRecoverable) as info:
        resolve(store, choose_dump(store, "app"), head)
    message = str(info.value)
    assert f"is version 3 (digest {head.digest.hex()}, log entry {head.seq})" in message
    assert {"delete": "it is missing", "flip": "does not verify", "relabel": "not the announced one"}[damage] in message
    r = resolve(store, choose_dump(store, "app"), head, allow_older=True)
    assert r.chosen.version == 2 and r.older is not None
    assert (r.older.skipped_version, r.older.skipped_digest, r.older.used_version) == (3, head.digest, 2)
    assert r.older.used_digest == r.chosen.candidate.dump.digest and "--allow-older" in r.older.reason


def test_unannounced_newer_dump_is_not_recovered(tmp_path: Path) -> None:
    store, head = _store(tmp_path)
    assert head.parent is not None
    r = resolve(store, choose_dump(store, "app"), head.parent)          # the log announced up to 2
    assert r.chosen.version == 2 and "version 3 is not announced" in r.notices[0]


def test_an_older_version_asked_for_needs_allow_older(tmp_path: Path) -> None:
    store, head = _store(tmp_path)
    with pytest.raises(NewestNotRecoverable, match="version 1 is older than the newest announced version 3"):
        resolve(store, choose_dump(store, "app", 1), head, version=1)
    r = resolve(store, choose_dump(store, "app", 1), head, version=1, allow_older=True)
    assert r.older is not None and r.older.used_version == 1
    with pytest.raises(NoDumpToRecover, match="version 4 is not announced"):
        resolve(store, choose_dump(store, "app", 3), head, version=4)


def test_sealer_card_round_trip(tmp_path: Path) -> None:
    identity = SealingIdentity.simulated()
    path = tmp_path / "card.json"
    path.write_text(json.dumps(SealerCard.of(identity).to_json()))
    assert SealerCard.load(path) == SealerCard.of(identity)
    other = SealerCard.of(SealingIdentity.simulated()).to_json()
    path.write_text(json.dumps({**other, "public_key": identity.public_key.hex()}))
    with pytest.raises(KeycouncilError, match="does not bind"):
        SealerCard.load(path)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.dictionaries(st.sampled_from(
    ["format", "public_key", "evidence_type", "evidence"]), st.one_of(st.text(max_size=70), st.integers()))))
def test_sealer_card_parser_refuses_cleanly(tmp_path_factory: pytest.TempPathFactory, doc: object) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "card.json"
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps({"format": "keycouncil-sealer-card/1",
                                                                       **doc}).encode())
    try:
        SealerCard.load(path)
    except KeycouncilError:
        pass
