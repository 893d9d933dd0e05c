"""An auditor's folder: a read-only client identity for `council status` and monitoring.

```
auditor.json          name, sealing parameters
auditor-card.json     the public AuditorCard to give each member (`member auditor add`)
identity/             tls.key (sealed), tls.crt (and a signing key no roster lists)
```

Its certificate is not an operator's, so members accept it only for `Status` and `GetEpoch`:
it cannot start a ceremony or sign a recovery request (council.protocol.auditor).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from council.errors import StorageError
from council.protocol.auditor import AuditorCard
from council.storage.files import new_sealing, open_sealing
from council.storage.folders import FolderError, read_json, write_json
from council.storage.identity import Identity

AUDITOR_FORMAT = "keycouncil-auditor/1"
CONFIG_NAME = "auditor.json"
CARD_NAME = "auditor-card.json"


@dataclass(frozen=True)
class AuditorFolder:
    """An opened auditor folder (same client-identity shape as an operator folder)."""

    path: Path
    name: str
    identity: Identity

    @classmethod
    def init(cls, path: Path, name: str, passphrase: bytes | None) -> AuditorFolder:
        """Create a new auditor folder; refuses to overwrite one."""
        if (path / CONFIG_NAME).exists():
            raise FolderError(f"{path}: already an auditor folder ({CONFIG_NAME} exists)")
        card = AuditorCard(name, "-----BEGIN CERTIFICATE-----")  # validates the name early
        AuditorCard.from_json(card.to_json(), "--name")
        vault, sealing = new_sealing(passphrase)
        identity = Identity.generate(name, with_encryption=False)
        path.mkdir(parents=True, exist_ok=True)
        (path / "identity").mkdir(mode=0o700, exist_ok=True)
        identity.save(path, vault)
        folder = cls(path, name, identity)
        write_json(path / CARD_NAME, folder.card().to_json())
        write_json(path / CONFIG_NAME, {"format": AUDITOR_FORMAT, "name": name, "sealing": sealing})
        return folder

    @classmethod
    def open(cls, path: Path, passphrase: bytes | None) -> AuditorFolder:
        cfg = read_json(path / CONFIG_NAME, "auditor config")
        if cfg.get("format") != AUDITOR_FORMAT or not isinstance(cfg.get("sealing"), dict):
            raise StorageError(f"{path / CONFIG_NAME}: not a {AUDITOR_FORMAT} config")
        vault = open_sealing(cfg["sealing"], passphrase, str(path / CONFIG_NAME))
        return cls(path, str(cfg.get("name")), Identity.load(path, vault, with_encryption=False))

    def card(self) -> AuditorCard:
        return AuditorCard(self.name, self.identity.tls_cert_pem.decode())
