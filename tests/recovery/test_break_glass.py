"""Break glass: 5 members (t = 3) re-share to 7 (t = 5); versions 1..3 are sealed; version 3 comes
back from 5 members' mnemonic backups of the new epoch, offline, through the library and the CLI."""

from __future__ import annotations

import io
import sys
from functools import cache
from pathlib import Path

import pytest
from crypto_helpers import members, new_shares, receiver_outcome, run_dkg
from recovery_helpers import KEY_ID, Epoch, foreign_bundle, seal_versions, sealer, two_epochs

from cli import main as cli_main
from cli.recover import recover
from council.local import key_bundle, roster_of
from council.protocol.backup import export_backup
from council.protocol.epoch import CouncilEpoch
from council.protocol.errors import BackupIncomplete, BackupMismatch, BackupShareInvalid
from dumps.seal import seal_stream
from dumps.target import SealTarget
from dumps.verify import verify_dump
from recovery.offline import recover_offline

PAYLOADS = [b"state v1 " * 20, b"state v2 " * 30, b"state v3: the newest " * 25]
PASS = b"break glass"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    e = two_epochs()
    folder = tmp_path / "store"
    folder.mkdir()
    seal_versions(folder, [e.old, e.new, e.new], PAYLOADS)
    (folder / "junk.kcd").write_bytes(b"KCDUMP\x01garbage")
    return folder


def _backups(tmp_path: Path, epoch: Epoch, indices: list[int], passphrase: bytes | None = PASS) -> list[Path]:
    """Two of three mnemonic files of each member."""
    out: list[Path] = []
    for i in indices:
        paths = export_backup(epoch.shares[i], i, epoch.council.bundle, epoch.council.verification_shares,
                              tmp_path / f"e{epoch.council.epoch}-m{i}", 1, [(2, 3)], passphrase)
        out += paths[:2]
    return out


@cache
def _other_key() -> Epoch:
    ms = members("x", 3)
    _spec, ps = run_dkg(ms, 2, "other-key")
    outcome = receiver_outcome(ps)
    roster = roster_of(ms, 2)
    return Epoch(CouncilEpoch(key_bundle(roster, outcome), dict(outcome.public.verification_shares)),
                 new_shares(ps), roster)


def test_recovers_version_3_from_five_backups_of_the_new_epoch(tmp_path: Path, store: Path) -> None:
    backups = _backups(tmp_path, two_epochs().new, [1, 3, 4, 6, 7])
    out = tmp_path / "restored.bin"
    report = recover_offline(store, "app", backups, out, passphrase=lambda _l: PASS)
    assert out.read_bytes() == PAYLOADS[2]
    assert (report.dump_version, report.epoch, report.used) == (3, 1, (1, 3, 4, 6, 7))
    assert any(s.name == "junk.kcd" for s in report.skipped)
    assert out.stat().st_mode & 0o777 == 0o600


def test_an_older_version_on_request(tmp_path: Path, store: Path) -> None:
    backups = _backups(tmp_path, two_epochs().old, [2, 4, 5])
    out = tmp_path / "v1.bin"
    recover_offline(store, "app", backups, out, version=1, passphrase=lambda _l: PASS)
    assert out.read_bytes() == PAYLOADS[0]


def test_fewer_than_t_members_are_named(tmp_path: Path, store: Path) -> None:
    backups = _backups(tmp_path, two_epochs().new, [1, 2, 3, 4])
    out = tmp_path / "out.bin"
    with pytest.raises(BackupIncomplete, match=r"backups of 4 members of key recovery-key epoch 1 "
                                               r"\(members 1 \(n0\), 2 \(n1\), 3 \(n2\), 4 \(n3\)\), 5 needed: "
                                               r"add backups of 1 more of members 5 \(n4\), 6 \(n5\), 7 \(n6\)"):
        recover_offline(store, "app", backups, out, passphrase=lambda _l: PASS)
    assert not out.exists()


def test_mixed_epochs_are_refused(tmp_path: Path, store: Path) -> None:
    backups = _backups(tmp_path, two_epochs().new, [1, 2, 3]) + _backups(tmp_path, two_epochs().old, [4, 5])
    with pytest.raises(BackupMismatch, match=r"mix epochs \(epoch 0: members 4 \(o3\), 5 \(o4\); "
                       r"epoch 1: members 1 \(n0\), 2 \(n1\), 3 \(n2\)\)"):
        recover_offline(store, "app", backups, tmp_path / "out.bin", passphrase=lambda _l: PASS)


def test_wrong_passphrase_is_refused(tmp_path: Path, store: Path) -> None:
    backups = _backups(tmp_path, two_epochs().new, [1, 2, 3, 4, 5])
    out = tmp_path / "out.bin"
    with pytest.raises(BackupShareInvalid, match="member 1 .*wrong passphrase"):
        recover_offline(store, "app", backups, out, passphrase=lambda _l: b"not it")
    assert not out.exists()


def test_backup_of_another_key_is_refused(tmp_path: Path, store: Path) -> None:
    backups = _backups(tmp_path, two_epochs().new, [1, 2, 3, 4]) + _backups(tmp_path, _other_key(), [1])
    with pytest.raises(BackupMismatch, match="is of key other-key; the dump is sealed to key recovery-key"):
        recover_offline(store, "app", backups, tmp_path / "out.bin", passphrase=lambda _l: PASS)


def _run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    cli_main.cli.add_command(recover)
    monkeypatch.setattr(sys, "argv", ["keycouncil", *args])
    monkeypatch.setattr(cli_main, "_register", lambda: None)
    with pytest.raises(SystemExit) as exc:
        cli_main.main()
        raise SystemExit(0)
    return int(exc.value.code or 0)


def _pass_files(tmp_path: Path, members_: list[int], secret: bytes = PASS) -> list[str]:
    args = []
    for i in members_:
        f = tmp_path / f"pass{i}"
        f.write_bytes(secret + b"\n")
        f.chmod(0o600)
        args += ["--passphrase-file", f"{i}={f}"]
    return args


def test_cli_offline_recovers(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    idx = [2, 3, 5, 6, 7]
    backups = _backups(tmp_path, two_epochs().new, idx)
    out = tmp_path / "cli.bin"
    args = ["recover", "--offline", "--store", str(store), "--app", "app", "-o", str(out)]
    args += [a for b in backups for a in ("--backup", str(b))] + _pass_files(tmp_path, idx)
    assert _run_cli(args, monkeypatch) == 0
    assert out.read_bytes() == PAYLOADS[2]
    captured = capsys.readouterr()
    assert "recovered app version 3" in captured.out
    assert "skipped junk.kcd" in captured.err
    assert PASS.decode() not in captured.out + captured.err


def test_cli_offline_fewer_than_t_exits_non_zero(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    idx = [2, 3]
    backups = _backups(tmp_path, two_epochs().new, idx)
    out = tmp_path / "cli.bin"
    args = ["recover", "--offline", "--store", str(store), "--app", "app", "-o", str(out)]
    args += [a for b in backups for a in ("--backup", str(b))] + _pass_files(tmp_path, idx)
    assert _run_cli(args, monkeypatch) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: backups of 2 members of key recovery-key epoch 1")
    assert "5 needed" in err[-1]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cli.bin")]


@pytest.fixture
def store_with_foreign(store: Path) -> Path:
    """Version 4, the newest, chained after version 3 by the same sealer, but sealed to another
    council's key of the same key id at epoch 1 (the epoch of the new backups)."""
    sink = io.BytesIO()
    seal_stream(io.BytesIO(b"not ours"), sink, target=SealTarget.from_bundle(foreign_bundle(KEY_ID, 1)),
                sealer=sealer(), app_id="app", dump_version=4, previous_digest=verify_dump(store / "app-3.kcd").digest,
                chunk_size=64, now_ms=1_700_000_000_004)
    (store / "app-4.kcd").write_bytes(sink.getvalue())
    return store


def test_offline_skips_a_dump_sealed_to_another_councils_key_and_falls_back(
        tmp_path: Path, store_with_foreign: Path) -> None:
    """Issue 3/7 defect 3, offline: as on the networked path, the backups' bundle is the lineage;
    the foreign newest dump (its epoch 1 committed here with another roster) is skipped, named."""
    backups = _backups(tmp_path, two_epochs().new, [1, 3, 4, 6, 7])
    out = tmp_path / "restored.bin"
    report = recover_offline(store_with_foreign, "app", backups, out, passphrase=lambda _l: PASS)
    assert out.read_bytes() == PAYLOADS[2] and report.dump_version == 3
    why = {s.name: s.reason for s in report.skipped}
    assert "another council's key" in why["app-4.kcd"] and "committed epoch 1 with roster" in why["app-4.kcd"], why


def test_offline_skips_a_foreign_dump_its_key_does_not_open(tmp_path: Path, store_with_foreign: Path) -> None:
    """Backups of epoch 0 do not know epoch 1's roster: the foreign dump is tried, its first chunk
    does not open with the backups' key, and it is skipped for the newest dump that does."""
    backups = _backups(tmp_path, two_epochs().old, [2, 4, 5])
    out = tmp_path / "restored.bin"
    report = recover_offline(store_with_foreign, "app", backups, out, passphrase=lambda _l: PASS)
    assert out.read_bytes() == PAYLOADS[2] and report.dump_version == 3
    why = {s.name: s.reason for s in report.skipped}
    assert "does not open it" in why["app-4.kcd"], why


def test_offline_names_the_foreign_dump_when_it_is_the_version_asked_for(
        tmp_path: Path, store_with_foreign: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    idx = [2, 3, 5, 6, 7]
    backups = _backups(tmp_path, two_epochs().new, idx)
    out = tmp_path / "cli.bin"
    args = ["recover", "--offline", "--store", str(store_with_foreign), "--app", "app", "-o", str(out)]
    args += [a for b in backups for a in ("--backup", str(b))] + _pass_files(tmp_path, idx)
    assert _run_cli([*args, "--version", "4"], monkeypatch) == 1
    err = capsys.readouterr().err
    assert "error: app-4.kcd: " in err and "another council's key" in err, err
    assert not out.exists()
    assert _run_cli(args, monkeypatch) == 0
    assert out.read_bytes() == PAYLOADS[2]
    assert "skipped app-4.kcd: " in capsys.readouterr().err
