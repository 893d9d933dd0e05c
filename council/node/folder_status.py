"""`keycouncil member status DIR`: what a member folder holds, read locally without the server.

Public files only (member.json, member-card.json, the kept roster, `keys/*/*/epoch.json`,
`ceremonies/`, `log/events.jsonl`), so it needs no passphrase and works while the member is
down. With the folder's passphrase (or for a development folder without one) each committed
share file is also unsealed and checked against `Y_i`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.errors import KeycouncilError
from council.node.auditors import auditors
from council.node.ceremony_store import in_flight
from council.node.folder import CARD_NAME, CONFIG_NAME, MemberFolder
from council.node.keystore import KeyStore
from council.node.logtail import last_records
from council.node.served import SERVED_ROSTER
from council.roster import MemberCard
from council.storage.files import Vault
from council.storage.folders import load_roster, read_json


@dataclass(frozen=True)
class FolderStatus:
    """The folder's public state as a JSON-ready document (docs/operators.md, "JSON output")."""

    doc: dict[str, Any]


def folder_status(path: Path, passphrase: bytes | None = None, check_shares: bool = False,
                  events: int = 10) -> FolderStatus:
    """Read the folder; with `check_shares`, unseal each share (needs the passphrase if sealed)."""
    cfg = read_json(path / CONFIG_NAME, "member config")
    card = MemberCard.from_json(read_json(path / CARD_NAME, "member card"), str(path / CARD_NAME))
    insecure = (cfg.get("sealing") or {}).get("mode") == "none"
    vault = MemberFolder.open(path, passphrase).vault if check_shares else Vault(None)
    store = KeyStore(path / "keys", vault, card.signing_key)
    served = path / SERVED_ROSTER
    doc: dict[str, Any] = {
        "name": cfg.get("name"), "folder": str(path), "listen": cfg.get("listen"), "insecure": insecure,
        "metrics": cfg.get("metrics"),
        "served_roster_digest": load_roster(served).digest().hex() if served.exists() else None,
        "keys": [_key(store, key_id, check_shares) for key_id in store.key_ids()],
        "ceremonies_in_flight": in_flight(path / "ceremonies"),
        "auditors": sorted(auditors(path)),
        "last_events": [{k: e.get(k) for k in ("ts", "event", "key_id", "epoch", "ceremony", "reason")
                         if e.get(k) is not None} for e in last_records(path / "log" / "events.jsonl", events)],
    }
    return FolderStatus(doc)


def _key(store: KeyStore, key_id: str, check: bool) -> dict[str, Any]:
    epochs = store.epochs(key_id)
    rec = store.current(key_id)
    out: dict[str, Any] = {"key_id": key_id, "epochs": epochs}
    if rec is None:
        return out
    index = rec.member_index
    out.update(current_epoch=rec.epoch, holds_share=rec.holds_share, member_index=index,
               member_name=rec.roster.member(index).name if index else None,
               roster_digest=rec.commit.roster_digest.hex(), public_key=rec.commit.public_key.to_bytes().hex())
    if not rec.holds_share:
        out["share_file"] = "none (erased or never received)"
    elif not check:
        out["share_file"] = "present (not checked: give --check-shares)"
    else:
        try:
            store.load_share(key_id, rec.epoch)
            out["share_file"] = "ok"
        except KeycouncilError as exc:
            out["share_file"] = f"BAD: {exc}"
    return out
