"""Atomic file writes and secrets sealed at rest (formats.md, "A member's data folder").

Every write goes to a temporary file in the same folder, is fsynced, renamed over the target, and
the folder is fsynced: a crash leaves the old file or the new one, never half of either. Secret
files are sealed with AES-256-GCM under a key derived with scrypt from the operator's passphrase,
and written with mode 0600. In development mode (no passphrase) secrets are stored in the clear,
still 0600, and every start says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from council.errors import StorageError

SEAL_MAGIC = b"KCSEAL1"
MODE_CLEAR = 0
MODE_AESGCM = 1
SCRYPT_N = 1 << 15
SCRYPT_R = 8
SCRYPT_P = 1
CHECK_PLAINTEXT = b"keycouncil passphrase check"


Stamp = tuple[int, int, int] | None
"""A file's (inode, mtime in ns, size), or None if it is missing: changes whenever the file is
replaced (`write_atomic` renames a new inode over it) or written."""


def stamp(path: str | Path) -> Stamp:
    """The file's `Stamp` now (one `stat`)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


TEMP_RE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
"""The names `write_atomic` gives its temporary files: `.<target name>.<8 hex>.tmp`."""


def write_atomic(path: Path, data: bytes, secret: bool = False) -> None:
    """Write `data` to `path` atomically (temp file, fsync, rename, fsync folder).

    The temporary file is locked (flock) from just after its creation until it is renamed, so
    `sweep_temporaries` never removes a file a live writer is about to rename. Plain `os` calls on
    strings: every log approval and hand-over writes through here (the folder is created only when
    the first attempt finds it missing)."""
    tmp, fd = _locked_temp(path, 0o600 if secret else 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.replace(tmp, path)  # still locked: the lock goes with the file descriptor's close
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _locked_temp(path: Path, mode: int) -> tuple[str, int]:
    """A fresh temporary file next to `path`, created and then locked; retried if a sweep removed
    it in the instant between the two (the name then no longer names the locked file)."""
    folder, name = os.path.split(os.fspath(path))
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return tmp, fd
        except FileNotFoundError:
            pass
        os.close(fd)


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files `write_atomic` left behind when its process died (overwritten
    with zeros first: one may be a copy of a share). A temporary file whose writer is alive is
    locked and left alone. Returns the files removed."""
    if not folder.is_dir():
        return []
    removed = []
    for tmp in sorted(folder.rglob(".*.tmp")):
        if TEMP_RE.match(tmp.name) and not tmp.is_symlink() and _remove_if_orphaned(tmp):
            removed.append(tmp)
    return removed


def _remove_if_orphaned(tmp: Path) -> bool:
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return False  # renamed or removed meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live writer holds it
        try:
            if os.stat(tmp).st_ino != os.fstat(fd).st_ino:
                return False  # the name now names another file (renamed over, or a new temp)
        except FileNotFoundError:
            return False  # its writer renamed it just now: it is the target, not an orphan
        size = os.fstat(fd).st_size
        os.pwrite(fd, bytes(size), 0)
        os.fsync(fd)
        tmp.unlink()
    finally:
        os.close(fd)
    fsync_dir(tmp.parent)
    return True


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_durably(path: Path) -> None:
    """Overwrite a secret file with zeros, unlink it, and fsync its folder."""
    if not path.exists():
        return
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.write(bytes(size))
        f.flush()
        os.fsync(f.fileno())
    path.unlink()
    fsync_dir(path.parent)


def read_file(path: Path, what: str) -> bytes:
    """Read a file, naming it and what it is on failure."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StorageError(f"{path}: cannot read {what} ({exc.strerror})") from None


@dataclass(frozen=True)
class Vault:
    """Seals and opens secret files; `key is None` is the insecure development mode."""

    key: bytes | None

    @property
    def insecure(self) -> bool:
        return self.key is None

    def seal(self, purpose: str, plaintext: bytes) -> bytes:
        """Seal `plaintext`; `purpose` (e.g. "share") is bound as associated data."""
        if self.key is None:
            return SEAL_MAGIC + bytes([MODE_CLEAR]) + plaintext
        nonce = secrets.token_bytes(12)
        aad = SEAL_MAGIC + bytes([MODE_AESGCM]) + purpose.encode()
        return SEAL_MAGIC + bytes([MODE_AESGCM]) + nonce + AESGCM(self.key).encrypt(nonce, plaintext, aad)

    def open(self, purpose: str, blob: bytes, where: str) -> bytes:
        """Open a sealed blob read from `where`; raise StorageError naming the file otherwise."""
        if len(blob) < len(SEAL_MAGIC) + 1 or not blob.startswith(SEAL_MAGIC):
            raise StorageError(f"{where}: not a sealed keycouncil file (bad magic)")
        mode, body = blob[len(SEAL_MAGIC)], blob[len(SEAL_MAGIC) + 1:]
        if mode == MODE_CLEAR:
            if self.key is not None:
                raise StorageError(f"{where}: stored without a passphrase, but this folder is sealed")
            return body
        if mode != MODE_AESGCM or self.key is None:
            raise StorageError(f"{where}: sealed with a passphrase, but none was given" if mode == MODE_AESGCM
                               else f"{where}: unknown sealing mode {mode}")
        aad = SEAL_MAGIC + bytes([MODE_AESGCM]) + purpose.encode()
        try:
            return AESGCM(self.key).decrypt(body[:12], body[12:], aad)
        except (InvalidTag, ValueError):
            raise StorageError(f"{where}: damaged, or sealed under another passphrase") from None


def new_sealing(passphrase: bytes | None) -> tuple[Vault, dict[str, Any]]:
    """A fresh vault and the config entry that lets it be re-derived from the passphrase."""
    if passphrase is None:
        return Vault(None), {"mode": "none"}
    salt = secrets.token_bytes(16)
    vault = Vault(_derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    return vault, {"mode": "scrypt-aes256gcm", "salt": salt.hex(), "n": SCRYPT_N, "r": SCRYPT_R,
                   "p": SCRYPT_P, "check": vault.seal("check", CHECK_PLAINTEXT).hex()}


def open_sealing(entry: dict[str, Any], passphrase: bytes | None, where: str) -> Vault:
    """Re-derive the vault from the config entry; a wrong passphrase is refused here, once."""
    if entry.get("mode") == "none":
        return Vault(None)
    if entry.get("mode") != "scrypt-aes256gcm":
        raise StorageError(f"{where}: sealing.mode {entry.get('mode')!r} is not known")
    if passphrase is None:
        raise StorageError(f"{where}: secrets are sealed; give --passphrase-file or KEYCOUNCIL_PASSPHRASE")
    try:
        salt, n, r, p = bytes.fromhex(entry["salt"]), int(entry["n"]), int(entry["r"]), int(entry["p"])
        check = bytes.fromhex(entry["check"])
    except (KeyError, ValueError, TypeError):
        raise StorageError(f"{where}: sealing entry is malformed") from None
    vault = Vault(_derive(passphrase, salt, n, r, p))
    try:
        vault.open("check", check, where)
    except StorageError:
        raise StorageError(f"{where}: wrong passphrase") from None
    return vault


def _derive(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)
