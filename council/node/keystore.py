"""The member's keyring: one folder per committed epoch of each key (formats.md, `keys/`).

`keys/<key_id>/<epoch>/` holds `epoch.json` (public: roster, commit, commit signatures, every
Y_j, this member's index, and the BN254 signing key's public data when the epoch has one),
`share.sealed` (the sealed share, recording key id, epoch, member index and signing key),
`bn254.sealed` (the BN254 signing share, sealed and checked the same way, erased with the share)
and the ceremony's `request.bin` and `transcript.bin`. `epoch.json` is written
last: its presence means the epoch is committed and complete on this member. Loading a share
checks every recorded field against the folder it was found in and against `Y_j`, so a share from
another member, key or epoch is refused by name, never silently used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.crypto.bn254.curve import G1, Fr
from council.crypto.bn254.sharing import BnPrevious
from council.crypto.codec import Reader, Writer
from council.crypto.group import P256, Point, Scalar
from council.crypto.keyid import KEY_ID_PATTERN, KEY_ID_RULE, is_valid_key_id  # noqa: F401  (re-exported)
from council.crypto.messages import CommitSignature, EpochCommit
from council.errors import DecodeError, KeycouncilError, StorageError, shown
from council.roster import Roster
from council.storage.files import (
    Stamp,
    Vault,
    read_file,
    remove_durably,
    stamp,
    sweep_temporaries,
    write_atomic,
)
from council.storage.folders import parse_json, write_json

KEY_ID_RE = KEY_ID_PATTERN
SHARE_FORMAT = "keycouncil-share/1"
BN254_SHARE_FORMAT = "keycouncil-bn254-share/1"
EPOCH_FORMAT = "keycouncil-epoch/1"
BN254_FILE = "bn254.sealed"


class InvalidKeyId(DecodeError, StorageError):
    """A key id that breaks `is_valid_key_id` (a caller's mistake: INVALID_ARGUMENT on the wire)."""


def check_key_id(key_id: str) -> str:
    """The key id, or InvalidKeyId if it breaks `is_valid_key_id` (the id shown cut short)."""
    if not is_valid_key_id(key_id):
        raise InvalidKeyId(f"key id {shown(key_id)}: expected {KEY_ID_RULE}")
    return key_id


@dataclass(frozen=True)
class EpochRecord:
    """The public data of one committed epoch, as this member stores it."""

    roster: Roster
    commit: EpochCommit
    signatures: tuple[CommitSignature, ...]
    verification_shares: dict[int, Point]
    member_index: int | None
    holds_share: bool
    bn254: BnPrevious | None = None
    """The BN254 signing key's public data (G2 key, G1 key, every Y_j) if the epoch has one."""

    @property
    def key_id(self) -> str:
        return self.commit.key_id

    @property
    def epoch(self) -> int:
        return self.commit.epoch

    def to_json(self) -> dict[str, Any]:
        return {"format": EPOCH_FORMAT, "key_id": self.key_id, "epoch": self.epoch,
                "member_index": self.member_index, "holds_share": self.holds_share,
                "roster": self.roster.to_json(), "commit": self.commit.to_bytes().hex(),
                "signatures": [{"member": s.member, "signature": s.signature.hex()} for s in self.signatures],
                "verification_shares": {str(j): y.to_bytes().hex() for j, y in sorted(self.verification_shares.items())},
                **({"bn254": self.bn254.to_bytes().hex()} if self.bn254 is not None else {})}

    def without_share(self) -> EpochRecord:
        """The same record once this member's shares are erased."""
        return EpochRecord(self.roster, self.commit, self.signatures, self.verification_shares,
                           self.member_index, False, self.bn254)

    @classmethod
    def from_json(cls, d: dict[str, Any], where: str) -> EpochRecord:
        try:
            return cls(Roster.from_json(d["roster"], f"{where}.roster"),
                       EpochCommit.from_bytes(bytes.fromhex(d["commit"])),
                       tuple(CommitSignature(int(s["member"]), bytes.fromhex(s["signature"]))
                             for s in d["signatures"]),
                       {int(j): Point.from_bytes(bytes.fromhex(y), f"{where}.Y_{j}")
                        for j, y in d["verification_shares"].items()},
                       d["member_index"], bool(d["holds_share"]),
                       BnPrevious.from_bytes(bytes.fromhex(d["bn254"]), f"{where}.bn254") if "bn254" in d else None)
        except (KeyError, ValueError, TypeError, AttributeError, KeycouncilError) as exc:
            raise StorageError(f"{where}: malformed epoch record ({exc})") from None


def _share_bytes(key_id: str, epoch: int, index: int, signing_key: bytes, roster_digest: bytes,
                 share: Scalar) -> bytes:
    return (Writer().text(SHARE_FORMAT).text(key_id).uint(epoch, 8).uint(index, 2).blob(signing_key)
            .blob(roster_digest).scalar(share).getvalue())


class KeyStore:
    """Committed epochs of every key, under `<folder>/keys`."""

    def __init__(self, root: Path, vault: Vault, signing_key: bytes) -> None:
        self.root = root
        self.vault = vault
        self.signing_key = signing_key
        self._records: dict[Path, tuple[bytes, EpochRecord]] = {}
        self.after_write: Callable[[str], None] | None = None
        """Test-only: called with a file's name once `store` has written it (a kill point)."""

    def epoch_dir(self, key_id: str, epoch: int) -> Path:
        return self.root / check_key_id(key_id) / str(epoch)

    def key_ids(self) -> list[str]:
        """The key folders, by one listing (plain `os` calls: every RPC asks, through the trust)."""
        try:
            with os.scandir(self.root) as entries:
                return sorted(e.name for e in entries if e.is_dir() and is_valid_key_id(e.name))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def epochs(self, key_id: str) -> list[int]:
        folder = self.root / check_key_id(key_id)
        if not folder.exists():
            return []
        return sorted(int(p.name) for p in folder.iterdir()
                      if p.name.isdigit() and (p / "epoch.json").exists())

    def newest_stamps(self) -> tuple[tuple[str, int, Stamp], ...]:
        """Each key's newest committed epoch with the stamp of its `epoch.json`, by plain `os`
        calls (one listing of the store, one per key, one `stat` per epoch): what a cache of
        `current` over every key compares on each call instead of reading and parsing."""
        root = os.fspath(self.root)
        out = []
        for key_id in self.key_ids():
            try:
                names = os.listdir(f"{root}/{key_id}")
            except (FileNotFoundError, NotADirectoryError):
                continue
            for epoch in sorted((int(n) for n in names if n.isdigit()), reverse=True):
                now = stamp(f"{root}/{key_id}/{epoch}/epoch.json")
                if now is not None:
                    out.append((key_id, epoch, now))
                    break
        return tuple(out)

    def current(self, key_id: str) -> EpochRecord | None:
        """The newest committed epoch of `key_id` on this member, if any."""
        epochs = self.epochs(key_id)
        return self.record(key_id, epochs[-1]) if epochs else None

    def record(self, key_id: str, epoch: int) -> EpochRecord:
        """The epoch record, parsed once per content of the file: every RPC consults it, and
        parsing (roster, points) costs far more than reading the small file to compare."""
        path = self.epoch_dir(key_id, epoch) / "epoch.json"
        raw = read_file(path, "epoch record")
        cached = self._records.get(path)
        if cached is not None and cached[0] == raw:
            return cached[1]
        rec = self._parse_record(path, raw, key_id, epoch)
        self._records[path] = (raw, rec)
        return rec

    def _parse_record(self, path: Path, raw: bytes, key_id: str, epoch: int) -> EpochRecord:
        d = parse_json(raw, path, "epoch record")
        rec = EpochRecord.from_json(d, str(path))
        if rec.key_id != key_id or rec.epoch != epoch or d.get("key_id") != key_id or d.get("epoch") != epoch:
            raise StorageError(f"{path}: records key {rec.key_id!r} epoch {rec.epoch}, "
                               f"but lies in the folder of key {key_id!r} epoch {epoch}")
        return rec

    def _write_record(self, folder: Path, record: EpochRecord) -> None:
        """Write `epoch.json` and keep `record` as the parse of exactly those bytes: the finalize
        and erase steps read the record right after writing it, and a parse (roster keys, every
        Y_j) costs more than the rest of the step. Another content of the file is parsed in full.
        One line of JSON (C encoder): written at every finalize and erase, on every member."""
        path = folder / "epoch.json"
        self._records[path] = (write_json(path, record.to_json(), indent=None), record)

    def store(self, record: EpochRecord, share: Scalar | None, request: bytes, transcript: bytes,
              bn254_share: Fr | None = None) -> None:
        """Store a committed epoch: shares and transcript first, the epoch record last."""
        folder = self.epoch_dir(record.key_id, record.epoch)
        if share is not None:
            if record.member_index is None:
                raise ValueError("a share needs a member index")
            data = _share_bytes(record.key_id, record.epoch, record.member_index, self.signing_key,
                                record.commit.roster_digest, share)
            write_atomic(folder / "share.sealed", self.vault.seal("share", data), secret=True)
            self._written("share.sealed")
            if bn254_share is not None:
                bn = _bn254_share_bytes(record.key_id, record.epoch, record.member_index, self.signing_key,
                                        record.commit.roster_digest, bn254_share)
                write_atomic(folder / BN254_FILE, self.vault.seal("bn254-share", bn), secret=True)
                self._written(BN254_FILE)
        write_atomic(folder / "request.bin", request)
        self._written("request.bin")
        write_atomic(folder / "transcript.bin", transcript)
        self._written("transcript.bin")
        self._write_record(folder, record)
        self._written("epoch.json")

    def _written(self, name: str) -> None:
        if self.after_write is not None:
            self.after_write(name)

    def load_share(self, key_id: str, epoch: int) -> Scalar:
        """Unseal a share and check it belongs here: key id, epoch, member, and x·G == Y_index."""
        rec = self.record(key_id, epoch)
        path = self.epoch_dir(key_id, epoch) / "share.sealed"
        if not rec.holds_share or rec.member_index is None:
            raise StorageError(f"{path}: this member holds no share of key {key_id!r} epoch {epoch}")
        r = Reader(self.vault.open("share", read_file(path, "share"), str(path)), str(path))
        try:
            fields = (r.text("format"), r.text("key_id"), r.uint(8, "epoch"), r.uint(2, "member"),
                      r.blob("signing_key"), r.blob("roster_digest"), r.scalar("share"))
            r.end()
        except DecodeError as exc:
            raise StorageError(f"{path}: malformed share file ({exc})") from None
        _check_share_fields(path, rec, self.signing_key, *fields)
        return fields[6]

    def holds_bn254_share(self, key_id: str, epoch: int) -> bool:
        rec = self.record(key_id, epoch)
        return rec.holds_share and rec.bn254 is not None and (self.epoch_dir(key_id, epoch) / BN254_FILE).exists()

    def load_bn254_share(self, key_id: str, epoch: int) -> Fr:
        """Unseal this member's BN254 signing share and check it as `load_share` does (x·g1 == Y_index)."""
        rec = self.record(key_id, epoch)
        path = self.epoch_dir(key_id, epoch) / BN254_FILE
        if not rec.holds_share or rec.member_index is None or rec.bn254 is None:
            raise StorageError(f"{path}: this member holds no BN254 signing share of key {key_id!r} epoch {epoch}")
        r = Reader(self.vault.open("bn254-share", read_file(path, "BN254 share"), str(path)), str(path))
        try:
            fmt, kid, ep, index = r.text("format"), r.text("key_id"), r.uint(8, "epoch"), r.uint(2, "member")
            signing_key, roster_digest = r.blob("signing_key"), r.blob("roster_digest")
            share = Fr.from_bytes(r.blob("share"), "bn254 share")
            r.end()
        except DecodeError as exc:
            raise StorageError(f"{path}: malformed BN254 share file ({exc})") from None
        if fmt != BN254_SHARE_FORMAT:
            raise StorageError(f"{path}: format {fmt!r} is not {BN254_SHARE_FORMAT!r}")
        _check_share_fields(path, rec, self.signing_key, SHARE_FORMAT, kid, ep, index, signing_key,
                            roster_digest, None)
        y = rec.bn254.verification_shares.get(index)
        if y is None or G1.base_mul(share) != y:
            raise StorageError(f"{path}: BN254 share does not match verification share Y_{index} of key "
                               f"{rec.key_id!r} epoch {rec.epoch}")
        return share

    def erase_share(self, key_id: str, epoch: int) -> bool:
        """Erase this member's share of an epoch (the public record stays); True if one was erased."""
        folder = self.epoch_dir(key_id, epoch)
        if not (folder / "epoch.json").exists():
            return False
        rec = self.record(key_id, epoch)
        existed = (folder / "share.sealed").exists() or (folder / BN254_FILE).exists()
        if rec.holds_share:  # the record first: a crash below leaves "erased" plus a file to finish
            self._write_record(folder, rec.without_share())
        remove_durably(folder / "share.sealed")
        remove_durably(folder / BN254_FILE)
        existed = bool(sweep_temporaries(folder)) or existed  # a copy a killed store left behind
        return existed

    def finish_erasures(self) -> list[tuple[str, int]]:
        """At start: remove the share file of every epoch whose record says it is erased (a member
        killed in the middle of `erase_share`); the (key, epoch) pairs finished."""
        done = []
        for key_id in self.key_ids():
            for epoch in self.epochs(key_id):
                folder = self.epoch_dir(key_id, epoch)
                if ((folder / "share.sealed").exists() or (folder / BN254_FILE).exists()) and \
                        not self.record(key_id, epoch).holds_share:
                    remove_durably(folder / "share.sealed")
                    remove_durably(folder / BN254_FILE)
                    done.append((key_id, epoch))
        return done

    def verify_all(self) -> list[tuple[str, int, bool]]:
        """Check every key's current epoch and share (at start); raise StorageError on any problem."""
        out = []
        for key_id in self.key_ids():
            rec = self.current(key_id)
            if rec is None:
                continue
            if rec.holds_share:
                self.load_share(key_id, rec.epoch)
                if self.holds_bn254_share(key_id, rec.epoch):
                    self.load_bn254_share(key_id, rec.epoch)
            out.append((key_id, rec.epoch, rec.holds_share))
        return out


def _bn254_share_bytes(key_id: str, epoch: int, index: int, signing_key: bytes, roster_digest: bytes,
                       share: Fr) -> bytes:
    return (Writer().text(BN254_SHARE_FORMAT).text(key_id).uint(epoch, 8).uint(index, 2).blob(signing_key)
            .blob(roster_digest).blob(share.to_bytes()).getvalue())


def _check_share_fields(path: Path, rec: EpochRecord, own_key: bytes, fmt: str, key_id: str, epoch: int,
                        index: int, signing_key: bytes, roster_digest: bytes, share: Scalar | None) -> None:
    problems = []
    if fmt != SHARE_FORMAT:
        problems.append(f"format {fmt!r} is not {SHARE_FORMAT!r}")
    if key_id != rec.key_id:
        problems.append(f"it is a share of key {key_id!r}, not of key {rec.key_id!r}")
    if epoch != rec.epoch:
        problems.append(f"it is a share of epoch {epoch}, not of epoch {rec.epoch}")
    if signing_key != own_key:
        problems.append(f"it belongs to the member with signing key {signing_key.hex()[:16]}…, "
                        f"not to this member ({own_key.hex()[:16]}…)")
    if index != rec.member_index:
        problems.append(f"it is member {index}'s share, this member is member {rec.member_index}")
    if roster_digest != rec.commit.roster_digest:
        problems.append("it was made for another roster")
    if problems:
        raise StorageError(f"{path}: refusing share file: " + "; ".join(problems))
    if share is None:
        return
    y = rec.verification_shares.get(index)
    if y is None or P256.base_mul(share) != y:
        raise StorageError(f"{path}: share does not match verification share Y_{index} of key "
                           f"{rec.key_id!r} epoch {rec.epoch}")
