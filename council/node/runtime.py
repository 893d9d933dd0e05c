"""Opening a member for service: folder, roster, retired keys erased, stored shares checked, event log.

A member whose stored share fails its checks does not start: the error names the file and the
rule (another member's, key's or epoch's share; a damaged file; a wrong passphrase).
"""

from __future__ import annotations

from pathlib import Path

from council.errors import KeycouncilError
from council.node.events import EventLog
from council.node.folder import INSECURE_WARNING, MemberFolder
from council.node.node import DealingHook, MemberNode
from council.node.served import SERVED_ROSTER, adopt, choose_served
from council.roster import Roster
from council.storage.files import sweep_temporaries, write_atomic
from council.storage.folders import (
    FolderError,
    load_roster,  # noqa: F401  (re-exported)
)
from council.storage.identity import cert_der


def check_card(folder: MemberFolder, roster: Roster, index: int, roster_path: Path) -> None:
    """The roster's entry for this member must carry this member's keys and certificate."""
    card, own = roster.member(index), folder.card()
    for what, listed, mine in (("encryption key", card.encryption_key, own.encryption_key),
                               ("TLS certificate", cert_der(card.tls_cert, str(roster_path)),
                                cert_der(own.tls_cert, "identity/tls.crt"))):
        if listed != mine:
            raise FolderError(f"{roster_path}: member {index} ({card.name!r}) has this member's signing "
                              f"key but another {what} than {folder.path}")


def served_roster(folder_path: Path, roster_path: Path | None) -> Path:
    """The roster to serve: the one given (validated, then kept as DIR/roster.json for the next
    start), or the one kept from the last start."""
    kept = folder_path / SERVED_ROSTER
    if roster_path is None:
        if not kept.exists():
            raise FolderError(f"{folder_path}: no roster yet; pass --roster FILE once "
                              f"(it is kept as {kept} for later starts)")
        return kept
    roster = load_roster(roster_path)
    if roster_path.resolve() != kept.resolve():
        write_atomic(kept, roster.canonical_bytes())
    return roster_path


def open_member(folder_path: Path, roster_path: Path, passphrase: bytes | None,
                log_to_stderr: bool = True, dealing_hook: DealingHook | None = None) -> MemberNode:
    """Open the folder, announce development mode, check every stored share."""
    swept = sweep_temporaries(folder_path)  # before anything is read: no writer of this folder runs yet
    folder = MemberFolder.open(folder_path, passphrase)
    log = EventLog(folder.name, folder_path / "log" / "events.jsonl", echo=log_to_stderr)
    if swept:
        log.event("temporaries-swept", count=len(swept),
                  files=[str(p.relative_to(folder_path)) for p in swept[:20]])
    if folder.vault.insecure:
        log.event("insecure-mode", warning=INSECURE_WARNING)
    given = load_roster(roster_path)
    node = MemberNode(folder, given, log, dealing_hook)
    kept = (folder_path / SERVED_ROSTER).resolve() == roster_path.resolve()
    roster = choose_served(node.store, given, kept)
    if roster is not given:
        adopt(node, roster, f"{roster_path} is older than this member's newest committed epoch")
        roster_path = folder_path / SERVED_ROSTER
    index = roster.index_of(folder.identity.signer.public_key)
    if index is None:
        log.event("not-in-roster", roster=str(roster_path),
                  note="this member only serves epochs it already holds")
    else:
        check_card(folder, roster, index, roster_path)
    try:
        node.retire_due()  # a retired key whose waiting period passed while the member was down
    except KeycouncilError as exc:  # a damaged log file: the member still serves what it holds
        log.event("retirement-check-failed", reason=str(exc)[:300])
    node.startup_check()
    node.complete_pending()  # a receiver that got t' commit signatures finishes its store by itself
    return node

