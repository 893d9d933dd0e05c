"""Share backups as SLIP-39 mnemonics, bound to key id, epoch, member index and roster digest.

docs/recovery.md, "Share backups". Export: (1) check the share against `Y_i` and the epoch's public
data; (2) mask the 32-byte share with the label mask; (3) split the masked share with SLIP-39
(optional passphrase); (4) write one 0600 file per mnemonic, atomically. Load: (1) parse every
file; (2) group by (key, epoch, member); (3) check there are enough mnemonics; (4) combine;
(5) unmask; (6) check `x_i·G == Y_i`. A mnemonic set used under another label, or with a wrong
passphrase, yields a share that fails step (6).

When the epoch holds the council's BN254 signing key and the member's signing share is given, the
backup is version 2: the secret split is the masked state share followed by the signing share
masked with its own label mask (`KEYCOUNCIL-V2-BACKUP-BN254`), and loading checks it against the
member's BN254 `Y_i` (`x_i·g1`) from the bundle's signing key data. Version 1 files load as before.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import shamir_mnemonic
from shamir_mnemonic import MnemonicError, Share

from council.bundle import KeyBundle
from council.crypto.bn254.curve import G1, Fr
from council.crypto.group import P256, Point, Scalar
from council.crypto.hashing import encode_parts
from council.errors import DecodeError, StorageError
from council.protocol import backup_file
from council.protocol.backup_file import BackupFile, BackupLabel
from council.protocol.epoch import CouncilEpoch
from council.protocol.errors import (
    BackupFileInvalid,
    BackupIncomplete,
    BackupMismatch,
    BackupShareInvalid,
    StaleBackup,
)
from dumps.atomic import write_file_atomic

MASK_DOMAIN = b"KEYCOUNCIL-V1-BACKUP"
SIGNING_MASK_DOMAIN = b"KEYCOUNCIL-V2-BACKUP-BN254"
PassphraseSource = Callable[[BackupLabel], bytes]
"""Returns the passphrase for a member's backup (asked only when its files say `required`)."""


@dataclass(frozen=True)
class RestoredShare:
    """A member's share rebuilt from mnemonics and checked against its verification share."""

    label: BackupLabel
    share: Scalar
    council: CouncilEpoch = field(repr=False)
    files: tuple[str, ...] = ()
    bn254_share: Fr | None = field(default=None, repr=False)
    """The member's BN254 signing share (version 2 backups), checked against its BN254 Y_i."""

    @property
    def index(self) -> int:
        return self.label.member

    @property
    def key_id(self) -> str:
        return self.label.key_id

    @property
    def epoch(self) -> int:
        return self.label.epoch


def label_mask(label: BackupLabel, domain: bytes = MASK_DOMAIN) -> bytes:
    """SHA-256(encode_parts("KEYCOUNCIL-V1-BACKUP", key_id, u64 epoch, u16 member, roster_digest));
    the signing share's mask has the domain "KEYCOUNCIL-V2-BACKUP-BN254"."""
    return hashlib.sha256(encode_parts(domain, label.key_id.encode(), label.epoch.to_bytes(8, "big"),
                                       label.member.to_bytes(2, "big"), label.roster_digest)).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def export_backup(share: Scalar, index: int, bundle: KeyBundle, verification_shares: Mapping[int, Point],
                  out_dir: Path, group_threshold: int = 1, groups: Sequence[tuple[int, int]] = ((2, 3),),
                  passphrase: bytes | None = None, bn254_share: Fr | None = None) -> list[Path]:
    """Write one 0600 file per mnemonic into `out_dir`; return their paths (group by group).

    `groups` are SLIP-39 (member_threshold, member_count) pairs; `group_threshold` of them are
    needed. The passphrase must be printable ASCII (SLIP-39); without one, files say INSECURE.
    `bn254_share` (the member's signing share; `bundle.signing` must hold its key data) makes the
    backup version 2, carrying it too.
    """
    council = CouncilEpoch(bundle, verification_shares)                          # (1)
    label = BackupLabel(bundle.key_id, bundle.epoch, index, bundle.commit.roster_digest,
                        bundle.roster.member(index).name if 1 <= index <= len(bundle.roster.members) else "")
    if council.verification_shares.get(index) != P256.base_mul(share):
        raise BackupShareInvalid(f"{label.describe()}: the share does not match Y_{index}; refusing to back it up")
    masked = _xor(share.to_bytes(), label_mask(label))                           # (2)
    if bn254_share is not None:
        signing = council.bundle.signing
        if signing is None or signing.verification_shares.get(index) != G1.base_mul(bn254_share):
            raise BackupShareInvalid(f"{label.describe()}: the signing share does not match the epoch's BN254 "
                                     f"Y_{index}; refusing to back it up")
        masked += _xor(bn254_share.to_bytes(), label_mask(label, SIGNING_MASK_DOMAIN))
    mnemonics = shamir_mnemonic.generate_mnemonics(group_threshold, list(groups), masked,  # (3)
                                                   passphrase or b"")
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    paths = []
    for g, group in enumerate(mnemonics, start=1):                               # (4)
        for s, words in enumerate(group, start=1):
            text = backup_file.render(label, words, bool(passphrase), council, bn254_share is not None)
            path = out_dir / _file_name(label, Share.from_mnemonic(words).identifier, g, s)
            write_file_atomic(path, text.encode(), 0o600)
            paths.append(path)
    return paths


def _file_name(label: BackupLabel, identifier: int, group: int, share: int) -> str:
    key = re.sub(r"[^A-Za-z0-9._-]", "_", label.key_id)[:64]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", label.name)[:32]
    who = f"m{label.member}-{name}" if name else f"m{label.member}"
    return f"backup-{key}-e{label.epoch}-{who}-id{identifier:05d}-g{group}-s{share}.txt"


def read_backup_file(path: Path) -> BackupFile:
    """Read and parse one backup file (public checks only)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StorageError(f"{path}: cannot read backup ({exc.strerror})") from None
    return backup_file.parse(data, str(path))


def load_backup_files(paths: Iterable[Path], passphrase: PassphraseSource | None = None
                      ) -> list[RestoredShare]:
    """Rebuild every member's share from its mnemonic files (sorted by key, epoch, member)."""
    members: dict[tuple[str, int, int], list[BackupFile]] = {}
    for path in paths:                                                           # (1)-(2)
        f = read_backup_file(path)
        members.setdefault((f.label.key_id, f.label.epoch, f.label.member), []).append(f)
    return [_restore(members[k], passphrase) for k in sorted(members)]


def _restore(files: list[BackupFile], passphrase: PassphraseSource | None) -> RestoredShare:
    label, council = files[0].label, files[0].council
    for f in files[1:]:
        if f.council.to_json() != council.to_json() or f.label != label or f.signing_share != files[0].signing_share:
            raise BackupMismatch(f"{f.source}: its public data differs from {files[0].source} "
                                 f"({label.describe()})")
    chosen = _enough_mnemonics(files)                                            # (3)
    secret = _combine(chosen, label, _passphrase(files, passphrase))             # (4)
    signing = files[0].signing_share
    if len(secret) != (64 if signing else 32):
        raise BackupShareInvalid(f"{label.describe()}: the mnemonics hold {len(secret)} bytes, a version "
                                 f"{2 if signing else 1} backup {64 if signing else 32} (files {_names(chosen)})")
    try:
        share = Scalar.from_bytes(_xor(secret[:32], label_mask(label)))          # (5)
    except DecodeError:
        share = None
    if share is None or P256.base_mul(share) != council.verification_shares[label.member]:  # (6)
        raise BackupShareInvalid(
            f"{label.describe()}: the restored share does not match Y_{label.member} (files "
            f"{_names(chosen)}): wrong passphrase, mnemonics of another member, key or epoch, or altered words")
    bn254 = _signing_share(secret[32:], label, council, chosen) if signing else None
    return RestoredShare(label, share, council, tuple(f.source for f in chosen), bn254)


def _signing_share(masked: bytes, label: BackupLabel, council: CouncilEpoch, chosen: list[BackupFile]) -> Fr:
    """Unmask the BN254 signing share of a version 2 backup and check `x_i·g1 == Y_i` (BN254)."""
    signing = council.bundle.signing
    try:
        bn = Fr.from_bytes(_xor(masked, label_mask(label, SIGNING_MASK_DOMAIN)), "bn254 share")
    except DecodeError:
        bn = None
    if bn is None or signing is None or G1.base_mul(bn) != signing.verification_shares.get(label.member):
        raise BackupShareInvalid(f"{label.describe()}: the restored signing share does not match the BN254 "
                                 f"Y_{label.member} (files {_names(chosen)})")
    return bn


def _passphrase(files: list[BackupFile], source: PassphraseSource | None) -> bytes:
    if not any(f.passphrase_required for f in files):
        return b""
    if source is None:
        raise BackupShareInvalid(f"{files[0].label.describe()}: the backup needs its passphrase")
    return source(files[0].label)


def _enough_mnemonics(files: list[BackupFile]) -> list[BackupFile]:
    """Exactly group_threshold complete groups, each with exactly member_threshold mnemonics."""
    label, first = files[0].label, files[0].share
    groups: dict[int, dict[int, BackupFile]] = {}
    for f in files:
        s = f.share
        if s.common_parameters() != first.common_parameters():
            raise BackupMismatch(f"{f.source} and {files[0].source} are from two different backup "
                                 f"exports of {label.describe()}: use the files of one export")
        prior = groups.setdefault(s.group_index, {}).get(s.index)
        if prior is not None and prior.share != s:
            raise BackupMismatch(f"{f.source} and {prior.source} claim the same share position")
        groups[s.group_index][s.index] = f
    complete = [g for g in sorted(groups) if len(groups[g]) >= _member_threshold(groups[g])]
    if len(complete) < first.group_threshold:
        raise BackupIncomplete(f"not enough mnemonics for {label.describe()}: " + _shortfall(groups, first))
    return [f for g in complete[:first.group_threshold]
            for f in list(groups[g].values())[:_member_threshold(groups[g])]]


def _member_threshold(group: dict[int, BackupFile]) -> int:
    return int(next(iter(group.values())).share.member_threshold)


def _shortfall(groups: dict[int, dict[int, BackupFile]], first: Share) -> str:
    have = [f"group {g + 1}: have {len(m)}, need {_member_threshold(m)}" for g, m in sorted(groups.items())]
    if len(groups) < first.group_count:
        have.append("other groups: have 0")
    return f"{first.group_threshold} of {first.group_count} groups must be complete ({'; '.join(have)})"


def _combine(files: list[BackupFile], label: BackupLabel, passphrase: bytes) -> bytes:
    try:
        return bytes(shamir_mnemonic.combine_mnemonics([f.mnemonic for f in files], passphrase))
    except (MnemonicError, ValueError) as exc:
        raise BackupFileInvalid(f"{label.describe()}: mnemonics {_names(files)} do not combine: "
                                f"{str(exc).splitlines()[0][:160]}") from None


def _names(files: Sequence[BackupFile]) -> str:
    return ", ".join(f.source for f in files)


def check_not_stale(restored: RestoredShare, current_epoch: int) -> None:
    """Refuse a backup of an epoch other than the node's current committed one."""
    label = restored.label
    if label.epoch < current_epoch:
        raise StaleBackup(f"backup of {label.describe()} is stale: the key was re-shared to epoch "
                          f"{current_epoch}, so this share no longer counts; export a new backup")
    if label.epoch > current_epoch:
        raise StaleBackup(f"backup of {label.describe()} is newer than this node's epoch "
                          f"{current_epoch}: catch up with the council first")


__all__ = ["BackupFileInvalid", "RestoredShare", "check_not_stale", "export_backup", "label_mask",
           "load_backup_files"]
