"""dumps.app: the Publisher keeps the chain across restarts (found in the store, by readers' rules),
refuses what readers would skip, and talks to the log through `announce`; seal_stream/seal_dump no
longer start a new chain silently above version 1."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from dump_helpers import make_council, make_sealer

from council.errors import StorageError
from dumps import app
from dumps.newest import choose_newest
from dumps.seal import seal_dump, seal_stream

COUNCIL = make_council()


def _publisher(folder: Path, sealer: app.SealingIdentity | None = None,
               announce: app.Announce | None = None) -> app.Publisher:
    return app.Publisher(app.open_store(folder), COUNCIL.target, sealer or make_sealer(), "svc",
                         announce=announce, chunk_size=256)


def test_three_snapshot_kinds_then_a_restart_that_chains(tmp_path: Path) -> None:
    p = _publisher(tmp_path)
    assert p.head() is None
    src = tmp_path.parent / f"{tmp_path.name}-state.bin"
    src.write_bytes(b"from a file" * 100)
    one = p.publish(b"in memory" * 100)
    two = p.publish(src)
    three = p.publish(io.BufferedReader(io.BytesIO(b"a stream" * 100)))
    assert [x.version for x in (one, two, three)] == [1, 2, 3]
    assert three.location == str(tmp_path / "svc-v3.kcdump")
    restarted = _publisher(tmp_path)                                   # no memory of the above
    head = restarted.head()
    assert head is not None and (head.version, head.digest) == (3, three.digest)
    four = restarted.publish(b"after the restart")
    selection = choose_newest(app.open_store(tmp_path), "svc")
    assert [c.version for c in selection.chain] == [1, 2, 3, 4] and not selection.skipped
    assert selection.chain[-1].dump.digest == four.digest
    assert selection.chain[-1].dump.header.previous_digest == three.digest


def test_what_readers_would_skip_is_refused(tmp_path: Path) -> None:
    p = _publisher(tmp_path)
    with pytest.raises(app.NoPreviousDump, match=r"svc version 2: no previous dump in .*refusing "
                                                 r"to start a new chain above version 1"):
        p.publish(b"x", version=2)
    p.publish(b"v1")
    p.publish(b"v2")
    with pytest.raises(app.ChainConflict, match="svc version 2: the newest is already version 2"):
        _publisher(tmp_path).publish(b"again", version=2)
    with pytest.raises(app.DumpExists):
        _publisher(tmp_path).publish(b"v3", name="svc-v1.kcdump")
    other = make_sealer(b"another enclave")
    with pytest.raises(app.ChainConflict, match="readers without an admission policy would skip"):
        _publisher(tmp_path, sealer=other).publish(b"v3")
    admitted = app.Publisher(app.open_store(tmp_path), COUNCIL.target, other, "svc",
                             admit=lambda evidence, key: None, chunk_size=256)
    assert admitted.publish(b"v3").version == 3


class Log:
    """An in-memory stand-in for the council log of 2/7 (the real one is wired by the integrator)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, int, bytes]] = []

    def latest(self, app_id: str) -> app.ChainHead | None:
        mine = [e for e in self.entries if e[0] == app_id]
        return app.ChainHead(mine[-1][1], mine[-1][2]) if mine else None

    def announce(self, app_id: str, published: app.Published) -> None:
        self.entries.append((app_id, published.version, published.digest))


def test_announce_is_told_and_checked(tmp_path: Path) -> None:
    log = Log()
    p = _publisher(tmp_path, announce=log)
    a, b = p.publish(b"1"), p.publish(b"2")
    assert log.entries == [("svc", 1, a.digest), ("svc", 2, b.digest)]
    log.entries.append(("svc", 3, os.urandom(32)))                    # announced, not in the store
    with pytest.raises(app.ChainConflict, match="the store is behind the log"):
        _publisher(tmp_path, announce=log).head()
    log.entries[-1] = ("svc", 2, os.urandom(32))
    with pytest.raises(app.ChainConflict, match="the log and the store name different dumps"):
        _publisher(tmp_path, announce=log).head()


def test_identity_is_loaded_or_created_once(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no sealing identity; pass new="):
        app.load_or_create_identity(tmp_path / "id")
    made = app.load_or_create_identity(tmp_path / "id", simulated=True)
    assert (tmp_path / "id" / "signer.key").stat().st_mode & 0o777 == 0o600
    again = app.load_or_create_identity(tmp_path / "id", simulated=True)
    assert again.public_key == made.public_key and again.insecure
    given = make_sealer(b"provider")
    assert app.load_or_create_identity(tmp_path / "id2", new=lambda: given).public_key == given.public_key


def test_no_silent_new_chain_above_version_1(tmp_path: Path) -> None:
    kwargs = dict(target=COUNCIL.target, sealer=make_sealer(), app_id="svc", dump_version=2)
    with pytest.raises(ValueError, match="dump_version 2 needs previous_digest"):
        seal_stream(io.BytesIO(b"x"), io.BytesIO(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs previous_digest"):
        seal_dump(io.BytesIO(b"x"), tmp_path / "d.kcd", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "d.kcd").exists()
    sealed = seal_stream(io.BytesIO(b"x"), io.BytesIO(), previous_digest=b"", **kwargs)  # type: ignore[arg-type]
    assert sealed.header.is_first                                       # b"" is a choice, not a default
