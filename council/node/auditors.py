"""The auditors a member accepts for read-only RPCs: cards kept in `DIR/auditors/NAME.json`.

Read again whenever the folder changes (its modification time), so adding an auditor needs no
restart. A damaged card is skipped and named in the member's log, never trusted.
"""

from __future__ import annotations

import threading
from pathlib import Path

from council.errors import KeycouncilError
from council.protocol.auditor import AuditorCard
from council.storage.files import write_atomic
from council.storage.folders import parse_json, read_json
from council.storage.identity import cert_der

AUDITORS_DIR = "auditors"
_cache: dict[Path, tuple[int, dict[str, tuple[str, bytes]]]] = {}
_lock = threading.Lock()


def auditors(folder: Path) -> dict[str, tuple[str, bytes]]:
    """Name → (PEM, DER) of every auditor card in `folder/auditors/`."""
    root = folder / AUDITORS_DIR
    try:
        stamp = root.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    with _lock:
        cached = _cache.get(root)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        out: dict[str, tuple[str, bytes]] = {}
        for path in sorted(root.glob("*.json")):
            try:
                card = AuditorCard.from_json(read_json(path, "auditor card"), str(path))
                out[card.name] = (card.tls_cert, cert_der(card.tls_cert, str(path)))
            except KeycouncilError:
                continue
        _cache[root] = (stamp, out)
        return out


def auditor_pems(folder: Path) -> list[bytes]:
    """The auditors' certificates, for the TLS roots."""
    return [pem.encode() for pem, _der in auditors(folder).values()]


def auditor_of(folder: Path, peer_der: bytes | None) -> str | None:
    """The name of the auditor whose certificate the TLS client presented, if any."""
    if peer_der is None:
        return None
    for name, (_pem, der) in auditors(folder).items():
        if der == peer_der:
            return name
    return None


def add_auditor(folder: Path, card_path: Path) -> AuditorCard:
    """Validate an auditor card and keep it as `folder/auditors/NAME.json`."""
    card = AuditorCard.from_json(parse_json(card_path.read_bytes(), card_path, "auditor card"), str(card_path))
    cert_der(card.tls_cert, str(card_path))
    (folder / AUDITORS_DIR).mkdir(mode=0o700, exist_ok=True)
    import json

    write_atomic(folder / AUDITORS_DIR / f"{card.name}.json",
                 (json.dumps(card.to_json(), indent=2, sort_keys=True) + "\n").encode())
    return card
