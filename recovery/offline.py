"""Break-glass recovery on one machine with no server (docs/recovery.md, "Break glass").

(1) choose the newest authentic dump of the app (or version N), reporting every skip; (2) load
backups of at least `t` distinct members of ONE epoch of the dump's key; (3) compute each
`D_i = x_i·R` locally with its DLEQ proof and combine through the same verifier as the networked
path, so a bad backup is named; derive the data key; (4) stream-decrypt into a temporary file and
publish it at OUT only after the last check.

The dump chosen must be sealed to the key the backups are shares of, as on the networked path
(recovery.fallback, dumps.lineage): the backups' key bundle is the lineage; a newer dump of the
same key id sealed to another council's key (its epoch committed with another roster, or its
first chunk not opened by the backups' key) is skipped with the reason, and the next newest is
tried; an exact `version` asked for is never replaced by another (ForeignKey names it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from council.crypto import kem
from council.crypto.decryption import DecryptionContext, combine, create_share
from council.errors import NotEnoughShares
from council.protocol.backup import PassphraseSource, RestoredShare, load_backup_files
from council.protocol.errors import BackupIncomplete, BackupMismatch, BackupShareInvalid
from council.roster import Roster
from dumps.atomic import ensure_absent
from dumps.evidence import EvidenceChecker, is_insecure
from dumps.header import DumpHeader
from dumps.lineage import KeyLineage
from dumps.newest import Skipped
from dumps.open import KeyProvider, open_dump
from dumps.store import DumpStore
from dumps.stream import Progress
from recovery.choose import ChosenDump
from recovery.fallback import recover_bound

OFFLINE_REQUEST_PREFIX = b"offline-"


@dataclass(frozen=True)
class OfflineReport:
    """The dump recovered, the members whose backups were used, and every dump skipped."""

    dump_name: str
    dump_version: int
    key_id: str
    epoch: int
    used: tuple[int, ...]
    skipped: tuple[Skipped, ...]
    plaintext_length: int
    roster: Roster | None = None
    """The epoch's roster (from the backups), to name the members beside their indices."""
    insecure: bool = False
    """The dump's sealer evidence is simulated (INSECURE): every output must say so."""


def recover_offline(store_dir: Path | DumpStore, app_id: str, backups: Sequence[Path], out: Path, *,
                    version: int | None = None, admit: EvidenceChecker | None = None,
                    passphrase: PassphraseSource | None = None,
                    progress: Progress | None = None) -> OfflineReport:
    """Steps (1)-(4); raises a KeycouncilError naming what is wrong, and leaves nothing at `out`.
    `store_dir` is a folder or any DumpStore (an S3 bucket: candidates are streamed, not copied)."""
    ensure_absent(out)
    skipped: list[Skipped] = []
    restored: list[RestoredShare] = []

    def lineage_for(chosen: ChosenDump) -> KeyLineage:                               # (1) chosen
        restored.extend(one_epoch(load_backup_files(backups, passphrase), chosen.key_id))  # (2)
        return KeyLineage.of_bundles([restored[0].council.bundle])

    def attempt(chosen: ChosenDump) -> tuple[ChosenDump, int]:
        provider = _provider_from_backups(restored)                                  # (3)
        with chosen.open() as f:
            return chosen, open_dump(f, out, provider, admit, progress).plaintext_length  # (4)

    chosen, length = recover_bound(store_dir, app_id, version, admit, lineage_for, attempt, skipped.append)
    council = restored[0].council
    return OfflineReport(chosen.name, chosen.version, council.key_id, council.epoch,
                         tuple(r.index for r in restored[:council.threshold]), tuple(skipped),
                         length, council.bundle.roster,
                         is_insecure(chosen.candidate.dump.header.evidence))


def one_epoch(restored: Sequence[RestoredShare], key_id: str) -> list[RestoredShare]:
    """Step (2): one key, one epoch, at least `t` distinct members; else name what is missing."""
    if not restored:
        raise BackupIncomplete("no backups given")
    for r in restored:
        if r.key_id != key_id:
            raise BackupMismatch(f"backup {r.files[0]} is of key {r.key_id}; the dump is sealed to key {key_id}")
    epochs = sorted({r.epoch for r in restored})
    if len(epochs) > 1:
        by_epoch = "; ".join(f"epoch {e}: members {_indices(r for r in restored if r.epoch == e)}" for e in epochs)
        raise BackupMismatch(f"backups of key {key_id} mix epochs ({by_epoch}): shares of different "
                             "epochs never combine; use backups of one epoch")
    council = restored[0].council
    if len(restored) < council.threshold:
        missing = sorted(set(council.verification_shares) - {r.index for r in restored})
        raise BackupIncomplete(
            f"backups of {len(restored)} members of key {key_id} epoch {council.epoch} "
            f"(members {_indices(restored)}), {council.threshold} needed: add backups of "
            f"{council.threshold - len(restored)} more of members "
            f"{', '.join(council.bundle.roster.who(i) for i in missing)}")
    return list(restored)


def _indices(rs: Iterable[RestoredShare]) -> str:
    """Members by index and name (`1 (m1), 3 (m3)`): indices change from epoch to epoch."""
    return ", ".join(r.council.bundle.roster.who(r.index) for r in rs)


def _provider_from_backups(restored: Sequence[RestoredShare]) -> KeyProvider:
    council = restored[0].council

    def provide(header: DumpHeader, ciphertext: kem.KemCiphertext, label: bytes) -> bytes:
        ctx = DecryptionContext(council.key_id, council.epoch,
                                OFFLINE_REQUEST_PREFIX + secrets.token_bytes(16))
        shares = [create_share(ctx, ciphertext, label, r.index, r.share) for r in restored]
        try:
            result = combine(ctx, ciphertext, shares, council.verification_shares, council.threshold)
        except NotEnoughShares as exc:
            raise BackupShareInvalid(f"backups do not combine: {exc}") from None
        if result.culprits:
            bad = ", ".join(f"member {council.bundle.roster.who(i)} ({', '.join(_files(restored, i))})"
                            for i in sorted(result.culprits))
            raise BackupShareInvalid(f"bad backups: {bad}")
        return kem.derive_data_key(result.shared_point, ciphertext.r_point, council.public_key, label)
    return provide


def _files(restored: Sequence[RestoredShare], index: int) -> tuple[str, ...]:
    return next((r.files for r in restored if r.index == index), ())

