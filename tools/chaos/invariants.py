"""The invariants checked after every chaos run, read straight from the members' data folders.

1. `decrypts`: some epoch of every key decrypts a fresh probe (a KEM encapsulation to the key's
   public key, what a dump's header carries) from `t` of its members' stored shares.
2. `erased`: no member holds share material it should have erased, in any file (temporary files
   included): after a restart, the only share a member holds is `keys/<k>/<e>/share.sealed` with
   an epoch record that says it holds it; after the operator's clean-up (`strict`), no share of an
   epoch older than the key's newest committed one.
3. `log`: no two accepted log entries share a sequence number across members, and every member's
   copy verifies (chain, signatures, quorum) with `council.log.verify_log`.
4. `whole`: nothing half-written is read as whole: every file a member reads decodes completely
   (temporary files excepted: no reader opens them).
Each check returns violations as one line naming the member, the file and what is wrong.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from council.crypto import decryption, kem
from council.crypto.codec import Reader
from council.crypto.group import Point
from council.crypto.messages import EpochCommit
from council.crypto.transcript import Transcript
from council.errors import KeycouncilError
from council.log import LogRecord, verify_log
from council.node.ceremony_store import decode_messages
from council.node.folder import MemberFolder
from council.node.keystore import SHARE_FORMAT, EpochRecord, KeyStore
from council.protocol.ceremony_request import SignedRequest
from council.storage.files import SEAL_MAGIC
from council.storage.folders import parse_json

MESSAGE_FILES = {"dealing", "dealings", "response", "responses", "commits"}


@dataclass(frozen=True)
class ShareFile:
    """Share material found in a file of a member's folder."""

    member: str
    path: Path
    key_id: str
    epoch: int
    index: int


def store_of(folder: MemberFolder) -> KeyStore:
    return KeyStore(folder.path / "keys", folder.vault, folder.identity.signer.public_key)


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


def files_of(folder: MemberFolder) -> list[Path]:
    return sorted(p for p in folder.path.rglob("*") if p.is_file() and not p.is_symlink())


# 1. Some epoch of every key decrypts ---------------------------------------------------------------
def key_ids(folders: Iterable[MemberFolder]) -> set[str]:
    return {k for f in folders for k in store_of(f).key_ids() if store_of(f).epochs(k)}


def decrypts(folders: list[MemberFolder], key_id: str) -> tuple[bool, str]:
    """True if some stored epoch of `key_id` decapsulates a fresh probe from `t` members; the
    detail says, per epoch, how many valid shares were found and how many were needed."""
    epochs = sorted({e for f in folders for e in store_of(f).epochs(key_id)})
    detail = []
    for epoch in reversed(epochs):
        ok, found, needed = _epoch_decrypts(folders, key_id, epoch)
        detail.append(f"epoch {epoch}: {found} of {needed} shares")
        if ok:
            return True, "; ".join(detail)
    return False, "; ".join(detail) or "no epoch stored"


def _epoch_decrypts(folders: list[MemberFolder], key_id: str, epoch: int) -> tuple[bool, int, int]:
    records: list[EpochRecord] = []
    shares = []
    label = secrets.token_bytes(16)
    public_key: Point | None = None
    for f in folders:
        store = store_of(f)
        if epoch not in store.epochs(key_id):
            continue
        try:
            rec = store.record(key_id, epoch)
            records.append(rec)
            public_key = rec.commit.public_key
            if rec.holds_share and rec.member_index is not None:
                shares.append((rec.member_index, store.load_share(key_id, epoch)))
        except KeycouncilError:
            continue
    if public_key is None:
        return False, 0, 0
    rec = records[0]
    t = rec.roster.threshold
    if len(shares) < t:
        return False, len(shares), t
    ciphertext, data_key = kem.encapsulate(public_key, label)
    ctx = decryption.DecryptionContext(key_id, epoch, secrets.token_bytes(8))
    dshares = [decryption.create_share(ctx, ciphertext, label, j, x) for j, x in shares[:t]]
    combined = decryption.combine(ctx, ciphertext, dshares, rec.verification_shares, t)
    ok = kem.derive_data_key(combined.shared_point, ciphertext.r_point, public_key, label) == data_key
    return ok, len(shares), t


# 2. No share it should have erased -------------------------------------------------------------------
def share_files(name: str, folder: MemberFolder) -> list[ShareFile]:
    """Every file of the folder that holds a share (whatever its name), by what it says it is."""
    out = []
    for path in files_of(folder):
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if not raw.startswith(SEAL_MAGIC):
            continue
        try:
            body = folder.vault.open("share", raw, str(path))
            r = Reader(body, str(path))
            if r.text("format") != SHARE_FORMAT:
                continue
            key_id, epoch, index = r.text("key_id"), r.uint(8, "epoch"), r.uint(2, "member")
        except KeycouncilError:
            continue
        out.append(ShareFile(name, path, key_id, epoch, index))
    return out


def erased(folders: dict[str, MemberFolder], newest: dict[str, int] | None = None) -> list[str]:
    """Share material that should be gone. Always: a share anywhere but in its epoch's
    `share.sealed` under a record that holds it. With `newest` (key id -> newest committed epoch,
    after the operator's clean-up): any share of an older epoch."""
    problems = []
    for name, folder in folders.items():
        store = store_of(folder)
        for s in share_files(name, folder):
            canonical = store.root / s.key_id / str(s.epoch) / "share.sealed"
            where = s.path.relative_to(folder.path)
            if s.path != canonical:
                problems.append(f"{name}: {where} holds a copy of its share of key {s.key_id!r} epoch "
                                f"{s.epoch} outside {canonical.relative_to(folder.path)}")
                continue
            if s.epoch not in store.epochs(s.key_id):
                problems.append(f"{name}: {where}: share of key {s.key_id!r} epoch {s.epoch} without "
                                "an epoch record (a store left half done after restart)")
                continue
            try:
                holds = store.record(s.key_id, s.epoch).holds_share
            except KeycouncilError:
                continue  # reported by `whole`
            if not holds:
                problems.append(f"{name}: {where}: epoch record says the share is erased, the file is there")
            elif newest is not None and s.epoch < newest.get(s.key_id, s.epoch):
                problems.append(f"{name}: {where}: share of key {s.key_id!r} epoch {s.epoch} kept after "
                                f"epoch {newest[s.key_id]} committed and the council was cleaned up")
    return problems


def newest_committed(folders: Iterable[MemberFolder]) -> dict[str, int]:
    """Per key, the newest epoch stored by at least `t` of its roster (committed for sure)."""
    count: dict[tuple[str, int], int] = {}
    need: dict[tuple[str, int], int] = {}
    for f in folders:
        store = store_of(f)
        for k in store.key_ids():
            for e in store.epochs(k):
                try:
                    need[(k, e)] = store.record(k, e).roster.threshold
                except KeycouncilError:
                    continue
                count[(k, e)] = count.get((k, e), 0) + 1
    out: dict[str, int] = {}
    for (k, e), n in count.items():
        if n >= need[(k, e)]:
            out[k] = max(out.get(k, -1), e)
    return out


# 3. The log ------------------------------------------------------------------------------------------
def log_records(folder: MemberFolder) -> dict[str, list[tuple[Path, LogRecord | None]]]:
    root = folder.path / "log" / "council"
    out: dict[str, list[tuple[Path, LogRecord | None]]] = {}
    for key_dir in sorted(root.iterdir()) if root.exists() else []:
        items: list[tuple[Path, LogRecord | None]] = []
        for path in sorted((key_dir / "records").glob("*.rec")):
            try:
                items.append((path, LogRecord.from_bytes(path.read_bytes()[8:])))
            except KeycouncilError:
                items.append((path, None))
        out[key_dir.name] = items
    return out


def log(folders: dict[str, MemberFolder]) -> list[str]:
    """One entry per sequence number across members; every member's copy verifies."""
    problems = []
    seen: dict[tuple[str, int], dict[bytes, list[str]]] = {}
    for name, folder in folders.items():
        for key_id, items in log_records(folder).items():
            records = [r for _, r in items if r is not None]
            if not records:
                continue  # a log folder made by a proposal before genesis was accepted
            for r in records:
                seen.setdefault((key_id, r.entry.seq), {}).setdefault(r.entry.digest, []).append(name)
            report = verify_log(records, key_id)
            if not report.ok:
                problems.append(f"{name}: log of key {key_id!r} does not verify: {report.failure}")
    for (key_id, seq), digests in sorted(seen.items()):
        if len(digests) > 1:
            who = "; ".join(f"{d.hex()[:12]}… at {', '.join(names)}" for d, names in digests.items())
            problems.append(f"log of key {key_id!r}: two accepted entries at seq {seq}: {who}")
    return problems


# 4. Nothing half-written read as whole ---------------------------------------------------------------
def whole(name: str, folder: MemberFolder) -> list[str]:
    """Every file a member reads decodes completely (temporary files are never read)."""
    problems = []
    store = store_of(folder)
    for path in files_of(folder):
        if is_temp(path):
            continue
        rel = path.relative_to(folder.path)
        try:
            _decode(path, rel, store)
        except FileNotFoundError:
            continue  # removed since the folder was listed (an erase finishing): not half-read
        except (KeycouncilError, ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{name}: {rel}: does not decode as a whole file: {str(exc)[:200]}")
    return problems


def _decode(path: Path, rel: Path, store: KeyStore) -> None:
    parts, raw = rel.parts, path.read_bytes()
    if parts[0] == "keys" and len(parts) == 4:
        key_id, epoch = parts[1], int(parts[2])
        if rel.name == "epoch.json":
            store.record(key_id, epoch)
        elif rel.name == "share.sealed" and (path.parent / "epoch.json").exists():
            if store.record(key_id, epoch).holds_share:
                store.load_share(key_id, epoch)
        elif rel.name == "request.bin":
            SignedRequest.from_bytes(raw)
        elif rel.name == "transcript.bin":
            Transcript.from_bytes(raw)
    elif parts[0] == "ceremonies" and len(parts) == 3:
        stem = path.stem
        if stem == "request":
            SignedRequest.from_bytes(raw)
        elif stem in MESSAGE_FILES:
            decode_messages(raw, str(path))
        elif stem == "signed":
            EpochCommit.from_bytes(raw)
        elif path.name == "state.json":
            json.loads(raw)
    elif parts[:2] == ("log", "council") and len(parts) == 5 and parts[3] == "records":
        LogRecord.from_bytes(raw[8:])
    elif path.suffix == ".jsonl":
        for k, line in enumerate(raw.decode().splitlines()):
            try:
                json.loads(line)
            except ValueError:
                raise ValueError(f"line {k + 1} is not a whole JSON line") from None
    elif path.suffix == ".json":
        parse_json(raw, path, "JSON file")

