"""A member's data folder (formats.md): config, identity, keys, ceremonies, log.

```
member.json          name, listen address, sealing parameters, log settings
member-card.json     the public member card (MemberCard JSON) to hand to whoever writes the roster
identity/            signing key, encryption key, TLS key (sealed) and certificate
keys/<key_id>/<e>/   one committed epoch of a key (see council.node.keystore)
ceremonies/<id>/     in-flight ceremony state (see council.node.ceremony_store)
log/                 the member's event log
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from council.errors import StorageError
from council.roster import MemberCard
from council.storage.files import Vault, new_sealing, open_sealing
from council.storage.folders import (  # noqa: F401  (re-exported: the folder's helpers)
    PASSPHRASE_ENV,
    FolderError,
    parse_json,
    read_json,
    read_passphrase,
    write_json,
)
from council.storage.identity import Identity

MEMBER_FORMAT = "keycouncil-member/1"
CONFIG_NAME = "member.json"
CARD_NAME = "member-card.json"
INSECURE_WARNING = ("INSECURE: secrets in this folder are stored without a passphrase "
                    "(development mode); never use it for a real council")


def check_listen(listen: str) -> str:
    """HOST:PORT with a numeric port."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FolderError(f"--listen {listen!r}: expected HOST:PORT")
    return listen


@dataclass(frozen=True)
class MemberFolder:
    """An opened member data folder: config, unsealed identity, and the vault for shares."""

    path: Path
    name: str
    listen: str
    identity: Identity
    vault: Vault

    @classmethod
    def init(cls, path: Path, name: str, listen: str, passphrase: bytes | None) -> MemberFolder:
        """Create a new folder; refuses to touch an existing member folder."""
        if (path / CONFIG_NAME).exists():
            raise FolderError(f"{path}: already a member folder ({CONFIG_NAME} exists)")
        check_listen(listen)
        vault, sealing = new_sealing(passphrase)
        identity = Identity.generate(name, with_encryption=True)
        path.mkdir(parents=True, exist_ok=True)
        for sub in ("identity", "keys", "ceremonies", "log"):
            (path / sub).mkdir(mode=0o700, exist_ok=True)
        identity.save(path, vault)
        folder = cls(path, name, listen, identity, vault)
        write_json(path / CARD_NAME, folder.card().to_json())
        write_json(path / CONFIG_NAME, {"format": MEMBER_FORMAT, "name": name, "listen": listen,
                                        "sealing": sealing, "log": {"format": "json-lines"}})
        return folder

    @classmethod
    def open(cls, path: Path, passphrase: bytes | None) -> MemberFolder:
        """Open an existing folder, unsealing the identity."""
        cfg_path = path / CONFIG_NAME
        cfg = read_json(cfg_path, "member config")
        if cfg.get("format") != MEMBER_FORMAT:
            raise StorageError(f"{cfg_path}: format {cfg.get('format')!r}, expected {MEMBER_FORMAT!r}")
        sealing = cfg.get("sealing")
        if not isinstance(sealing, dict) or not isinstance(cfg.get("name"), str) or not isinstance(cfg.get("listen"), str):
            raise StorageError(f"{cfg_path}: name, listen and sealing are required")
        vault = open_sealing(sealing, passphrase, str(cfg_path))
        identity = Identity.load(path, vault, with_encryption=True)
        return cls(path, cfg["name"], cfg["listen"], identity, vault)

    def card(self) -> MemberCard:
        """This member's public card."""
        return MemberCard(self.name, self.listen, self.identity.signer.public_key,
                          self.identity.encryption_key.to_bytes(), self.identity.tls_cert_pem.decode())
