"""The library API for apps: one import path, documented in docs/app-guide.md.

    from dumps import app

    target = app.load_target(Path("bundle.json"))                  # checked council key bundle
    sealer = app.load_or_create_identity(Path("signer"), simulated=True)
    store = app.open_store("s3://bucket/dumps", s3_endpoint=...)   # or a folder
    publisher = app.Publisher(store, target, sealer, "my-app")
    published = publisher.publish(state_bytes_or_path_or_stream)   # version and chain found for you

Everything else an app needs is re-exported here; the modules behind it may move, this may not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from council.errors import KeycouncilError, StorageError
from dumps.errors import ChainConflict, DumpExists, NoPreviousDump
from dumps.evidence import EvidenceChecker, refuse_simulated
from dumps.open import KeyProvider, OpenedDump, open_dump
from dumps.publish import PublishedDump, publish_file
from dumps.publisher import Announce, ChainHead, Published, Publisher, Snapshot
from dumps.seal import SealedDump, seal_stream
from dumps.sealer import KEY_FILE, SealingIdentity
from dumps.store import DumpStore, FolderStore, StoreEntry
from dumps.stores import open_store
from dumps.target import KeyNoticeWarning, SealTarget
from dumps.verify import AuthenticDump, verify_dump

__all__ = [
    "Announce", "AuthenticDump", "ChainConflict", "ChainHead", "DumpExists", "DumpStore",
    "EvidenceChecker", "FolderStore", "KeyNoticeWarning", "KeyProvider", "KeycouncilError", "NoPreviousDump", "OpenedDump", "Published",
    "PublishedDump", "Publisher", "SealTarget", "SealedDump", "SealingIdentity", "Snapshot",
    "StorageError", "StoreEntry", "load_or_create_identity", "load_target", "open_dump", "open_store",
    "publish_file", "refuse_simulated", "seal_stream", "verify_dump",
]


def load_target(bundle: Path, expected_roster_digest: bytes | None = None) -> SealTarget:
    """The council key to seal to, from a key bundle file whose commit signatures verify against
    its roster (and, if given, whose roster digest is the one pinned in the app's image). A key that
    the bundle's council log superseded or retired warns (`KeyNoticeWarning`) and says so in
    `target.superseded_by` and `target.notices`: seal new dumps to the successor's bundle."""
    return SealTarget.load_bundle(bundle, expected_roster_digest)


def load_or_create_identity(folder: Path, *, simulated: bool = False,
                            new: Callable[[], SealingIdentity] | None = None) -> SealingIdentity:
    """The app's sealing identity from `folder` (its evidence must bind the key), or a new one
    saved there (key file 0600) when the folder has none: made by `new` (a TEE evidence provider),
    or simulated (INSECURE, development only) when `simulated` is true."""
    if (folder / KEY_FILE).exists():
        return SealingIdentity.load(folder)
    if new is not None:
        identity = new()
    elif simulated:
        identity = SealingIdentity.simulated()
    else:
        raise StorageError(
            f"{folder}: no sealing identity; pass new= (a TEE evidence provider) or simulated=True "
            "(INSECURE, development only)")
    identity.save(folder)
    return identity
