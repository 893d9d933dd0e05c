"""An operator's folder: signing key and client TLS identity, sealed like a member's.

```
operator.json          name, sealing parameters
operator-card.json     the public OperatorCard JSON to put in the roster
identity/              signing.key (sealed), tls.key (sealed), tls.crt
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from council.errors import StorageError
from council.roster import OperatorCard
from council.storage.files import new_sealing, open_sealing
from council.storage.folders import FolderError, read_json, write_json
from council.storage.identity import Identity

OPERATOR_FORMAT = "keycouncil-operator/1"
CONFIG_NAME = "operator.json"
CARD_NAME = "operator-card.json"


@dataclass(frozen=True)
class OperatorFolder:
    """An opened operator folder."""

    path: Path
    name: str
    identity: Identity

    @classmethod
    def init(cls, path: Path, name: str, passphrase: bytes | None) -> OperatorFolder:
        """Create a new operator folder; refuses to overwrite one."""
        if (path / CONFIG_NAME).exists():
            raise FolderError(f"{path}: already an operator folder ({CONFIG_NAME} exists)")
        vault, sealing = new_sealing(passphrase)
        identity = Identity.generate(name, with_encryption=False)
        path.mkdir(parents=True, exist_ok=True)
        (path / "identity").mkdir(mode=0o700, exist_ok=True)
        identity.save(path, vault)
        folder = cls(path, name, identity)
        write_json(path / CARD_NAME, folder.card().to_json())
        write_json(path / CONFIG_NAME, {"format": OPERATOR_FORMAT, "name": name, "sealing": sealing})
        return folder

    @classmethod
    def open(cls, path: Path, passphrase: bytes | None) -> OperatorFolder:
        """Open an operator folder, unsealing its keys."""
        cfg = read_json(path / CONFIG_NAME, "operator config")
        if cfg.get("format") != OPERATOR_FORMAT or not isinstance(cfg.get("sealing"), dict):
            raise StorageError(f"{path / CONFIG_NAME}: not a {OPERATOR_FORMAT} config")
        vault = open_sealing(cfg["sealing"], passphrase, str(path / CONFIG_NAME))
        return cls(path, str(cfg.get("name")), Identity.load(path, vault, with_encryption=False))

    def card(self) -> OperatorCard:
        """The public operator card."""
        return OperatorCard(self.name, self.identity.signer.public_key, self.identity.tls_cert_pem.decode())
