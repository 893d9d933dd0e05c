"""Share backups of a member's node (docs/recovery.md, "Backups of a member's share").

Export: the member's current committed share of a key, through `council.protocol.backup.export_backup`,
with its BN254 signing share when the epoch holds one (a version 2 backup).
Import: restore a share from backup files into the node's KeyStore, only if the files are of this
member (its roster index and key), of the node's current committed epoch (not stale) and agree
with the stored commit. The share is written through the KeyStore's own `store` (sealed share
first, the public epoch record last), so `load_share` checks it like any other share; a version 2
backup restores the signing share too (checked by `load_bn254_share`). A version 1 backup of an
epoch with a signing key restores the state share only (the epoch's public signing key data is
kept): the member signs again after the next re-share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from council.bundle import KeyBundle
from council.crypto.group import P256
from council.errors import StorageError
from council.node.folder import MemberFolder
from council.node.keystore import EpochRecord, KeyStore
from council.protocol.backup import (
    PassphraseSource,
    RestoredShare,
    check_not_stale,
    export_backup,
    load_backup_files,
)
from council.protocol.errors import BackupMismatch, BackupShareInvalid


def keystore_of(folder: MemberFolder) -> KeyStore:
    return KeyStore(folder.path / "keys", folder.vault, folder.identity.signer.public_key)


def current_record(store: KeyStore, key_id: str, folder: Path) -> EpochRecord:
    rec = store.current(key_id)
    if rec is None:
        raise StorageError(f"{folder}: this member holds no committed epoch of key {key_id!r}")
    return rec


def export_member_backup(folder: MemberFolder, key_id: str, out_dir: Path, group_threshold: int,
                         groups: Sequence[tuple[int, int]], passphrase: bytes | None) -> tuple[EpochRecord, list[Path]]:
    """Back up the member's share of `key_id`'s current committed epoch as SLIP-39 files."""
    store = keystore_of(folder)
    rec = current_record(store, key_id, folder.path)
    if not rec.holds_share or rec.member_index is None:
        raise StorageError(f"{folder.path}: this member holds no share of key {key_id!r} epoch "
                           f"{rec.epoch} (erased or never received)")
    share = store.load_share(key_id, rec.epoch)
    bn254 = store.load_bn254_share(key_id, rec.epoch) if store.holds_bn254_share(key_id, rec.epoch) else None
    bundle = KeyBundle(rec.commit, rec.signatures, rec.roster, f"{folder.path} key {key_id} epoch {rec.epoch}",
                       signing=rec.bn254 if bn254 is not None else None)
    paths = export_backup(share, rec.member_index, bundle, rec.verification_shares, out_dir,
                          group_threshold=group_threshold, groups=tuple(groups), passphrase=passphrase,
                          bn254_share=bn254)
    return rec, paths


@dataclass(frozen=True)
class Imported:
    """What `import_member_backup` restored."""

    key_id: str
    epoch: int
    member: int
    replaced: bool
    who: str = ""
    """`index (name)` of the member in the epoch's roster."""
    signing_share: bool = False
    """The BN254 signing share was restored too (a version 2 backup)."""


def import_member_backup(folder: MemberFolder, files: Sequence[Path],
                         passphrase: PassphraseSource | None) -> Imported:
    """Restore this member's share from backup files of its current committed epoch."""
    restored = load_backup_files(files, passphrase)
    if len(restored) != 1:
        members = ", ".join(r.label.describe() for r in restored)
        raise BackupMismatch(f"the files hold backups of {len(restored)} members ({members}); "
                             "import one member's files at a time")
    r = restored[0]
    store = keystore_of(folder)
    rec = current_record(store, r.key_id, folder.path)
    check_not_stale(r, rec.epoch)
    _check_matches(r, rec, folder.path)
    had = rec.holds_share
    epoch_dir = store.epoch_dir(r.key_id, rec.epoch)
    request, transcript = (epoch_dir / "request.bin").read_bytes(), (epoch_dir / "transcript.bin").read_bytes()
    restored_rec = EpochRecord(rec.roster, rec.commit, rec.signatures, rec.verification_shares,
                               rec.member_index, True, rec.bn254)
    store.store(restored_rec, r.share, request, transcript, bn254_share=r.bn254_share)
    store.load_share(r.key_id, rec.epoch)  # read back: every stored field and x·G == Y_i
    if r.bn254_share is not None:
        store.load_bn254_share(r.key_id, rec.epoch)  # and x·g1 == the BN254 Y_i
    return Imported(r.key_id, rec.epoch, r.index, had, rec.roster.who(r.index), r.bn254_share is not None)


def _check_matches(r: RestoredShare, rec: EpochRecord, folder: Path) -> None:
    if rec.member_index != r.index:
        who = rec.roster.who(rec.member_index) if rec.member_index else "not a member"
        raise BackupMismatch(f"backup of {r.label.describe()}: this member ({folder}) is member "
                             f"{who} of key {rec.key_id} epoch {rec.epoch}")
    if r.council.bundle.commit != rec.commit:
        raise BackupMismatch(f"backup of {r.label.describe()}: its commit differs from the one this "
                             "member stored for that epoch")
    if P256.base_mul(r.share) != rec.verification_shares.get(r.index):
        raise BackupShareInvalid(f"backup of {r.label.describe()}: the share does not match Y_{r.index}")
    if r.bn254_share is not None:
        signing = r.council.bundle.signing
        if rec.bn254 is None or signing is None or signing.to_bytes() != rec.bn254.to_bytes():
            raise BackupMismatch(f"backup of {r.label.describe()}: its signing key differs from the one this "
                                 "member stored for that epoch")
