"""Share backups: export/import round trip, label binding, wrong passphrase, incomplete sets, stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from recovery_helpers import two_epochs

from council.protocol.backup import (
    check_not_stale,
    export_backup,
    load_backup_files,
    read_backup_file,
)
from council.protocol.errors import (
    BackupFileInvalid,
    BackupIncomplete,
    BackupMismatch,
    BackupShareInvalid,
    StaleBackup,
)


def _export(tmp_path: Path, index: int = 2, passphrase: bytes | None = b"correct horse",
            groups=((2, 3),), group_threshold: int = 1, new: bool = True) -> list[Path]:
    e = two_epochs().new if new else two_epochs().old
    return export_backup(e.shares[index], index, e.council.bundle, e.council.verification_shares,
                         tmp_path / f"m{index}", group_threshold, groups, passphrase)


def test_round_trip_restores_the_share(tmp_path: Path) -> None:
    paths = _export(tmp_path)
    assert len(paths) == 3
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in paths)
    [restored] = load_backup_files(paths[1:], lambda label: b"correct horse")
    assert restored.share == two_epochs().new.shares[2]
    assert (restored.key_id, restored.epoch, restored.index) == ("recovery-key", 1, 2)
    assert "Scalar(<hidden>)" in repr(restored)


def test_two_groups_need_both(tmp_path: Path) -> None:
    paths = _export(tmp_path, groups=((2, 3), (1, 1)), group_threshold=2, passphrase=None)
    assert len(paths) == 4
    text = paths[0].read_text()
    assert "INSECURE" in text and "group 1 of 2" in text and "passphrase: none" in text
    with pytest.raises(BackupIncomplete, match=r"member 2 .*group 1: have 2, need 2.*other groups: have 0"):
        load_backup_files(paths[:2])
    [restored] = load_backup_files([paths[0], paths[2], paths[3]])
    assert restored.share == two_epochs().new.shares[2]


def test_not_enough_mnemonics_names_member_and_counts(tmp_path: Path) -> None:
    paths = _export(tmp_path, index=4)
    with pytest.raises(BackupIncomplete, match=r"not enough mnemonics for member 4 .*have 1, need 2"):
        load_backup_files(paths[:1], lambda _l: b"correct horse")


def test_wrong_passphrase_fails_the_share_check(tmp_path: Path) -> None:
    paths = _export(tmp_path)
    with pytest.raises(BackupShareInvalid, match=r"member 2 .*does not match Y_2.*wrong passphrase"):
        load_backup_files(paths[:2], lambda _l: b"wrong")


def test_missing_passphrase_is_named(tmp_path: Path) -> None:
    paths = _export(tmp_path)
    with pytest.raises(BackupShareInvalid, match="needs its passphrase"):
        load_backup_files(paths[:2])


def test_relabelled_backup_fails_the_share_check(tmp_path: Path) -> None:
    """Editing the member index in the label unmasks with the wrong mask: the check fails."""
    paths = _export(tmp_path, passphrase=None)
    for p in paths[:2]:
        p.write_text(p.read_text().replace("member: 2\n", "member: 3\n"))
    with pytest.raises(BackupShareInvalid, match="member 3 .*does not match Y_3"):
        load_backup_files(paths[:2])


def test_exports_of_two_runs_do_not_mix(tmp_path: Path) -> None:
    a = _export(tmp_path / "a", passphrase=None)
    b = _export(tmp_path / "b", passphrase=None)
    with pytest.raises(BackupMismatch, match="two different backup exports"):
        load_backup_files([a[0], b[1]])


def test_tampered_public_part_is_refused(tmp_path: Path) -> None:
    paths = _export(tmp_path, passphrase=None)
    text = paths[0].read_text()
    y = str(two_epochs().new.council.verification_shares[1].to_bytes().hex())
    other = str(two_epochs().new.council.verification_shares[2].to_bytes().hex())
    paths[0].write_text(text.replace(y, other))
    with pytest.raises(BackupFileInvalid, match="verification shares do not match"):
        read_backup_file(paths[0])


def test_label_fields_must_match_the_bundle(tmp_path: Path) -> None:
    paths = _export(tmp_path, passphrase=None)
    paths[0].write_text(paths[0].read_text().replace("epoch: 1\n", "epoch: 0\n"))
    with pytest.raises(BackupFileInvalid, match="epoch disagrees with the file's key bundle"):
        read_backup_file(paths[0])


def test_export_refuses_a_share_that_is_not_y_i(tmp_path: Path) -> None:
    e = two_epochs().new
    with pytest.raises(BackupShareInvalid, match="does not match Y_3"):
        export_backup(e.shares[2], 3, e.council.bundle, e.council.verification_shares, tmp_path)


def test_stale_backup_is_refused(tmp_path: Path) -> None:
    [old] = load_backup_files(_export(tmp_path, index=1, new=False, passphrase=None)[:2])
    check_not_stale(old, 0)
    with pytest.raises(StaleBackup, match="stale: the key was re-shared to epoch 1"):
        check_not_stale(old, 1)
    with pytest.raises(StaleBackup, match="newer than this node's epoch"):
        check_not_stale(old, -1)
