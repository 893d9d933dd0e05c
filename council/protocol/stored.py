"""Proof of storage (protocol.md, "Commit and erase"): a receiver's signed statement that it has
durably stored the new epoch and its share.

A receiver signs `("epoch-stored", its index, EpochCommit.to_bytes())` only after its epoch folder
is fsynced. An old member erases its previous shares only once it holds `t'` valid confirmations
from distinct receivers of the committing roster over exactly the commit it computed: then `t'`
shares of the new epoch exist on disk, so the key never lives in neither epoch.
"""

from __future__ import annotations

from collections.abc import Iterable

from council.crypto import signing
from council.crypto.codec import Reader, Writer
from council.crypto.messages import EpochCommit, Signed, sign
from council.errors import DecodeError, KeycouncilError
from council.roster import Roster

STORED_KIND = "epoch-stored"


def confirm(signer: signing.Signer, index: int, commit: EpochCommit) -> Signed:
    """Receiver `index`'s confirmation that it stored `commit`'s epoch (sign only after fsync)."""
    return sign(signer, STORED_KIND, index, commit.to_bytes())


def valid_confirmations(commit: EpochCommit, roster: Roster, messages: Iterable[Signed]) -> dict[int, Signed]:
    """One valid confirmation per receiver of `roster` over exactly `commit`, by receiver index."""
    if roster.digest() != commit.roster_digest:
        return {}
    body, members = commit.to_bytes(), roster.committee().members
    out: dict[int, Signed] = {}
    for m in messages:
        if m.sender in out or m.sender not in members or m.body != body:
            continue
        try:
            m.verify(members[m.sender], STORED_KIND)
        except KeycouncilError:
            continue
        out[m.sender] = m
    return out


def enough(commit: EpochCommit, roster: Roster, messages: Iterable[Signed]) -> bool:
    """True if `t'` distinct receivers confirmed storing `commit`'s epoch."""
    return len(valid_confirmations(commit, roster, messages)) >= commit.threshold


def parse_all(items: Iterable[bytes]) -> list[Signed]:
    """Decode relayed confirmations; an undecodable one is a DecodeError naming its position."""
    out = []
    for k, raw in enumerate(items):
        try:
            out.append(Signed.from_bytes(raw))
        except (DecodeError, ValueError) as exc:
            raise DecodeError(f"stored confirmation [{k}]: {exc}") from None
    return out


def encode(messages: Iterable[Signed]) -> bytes:
    """The confirmations as one file body (count, then each message)."""
    items = list(messages)
    w = Writer().uint(len(items), 4)
    for m in items:
        w.blob(m.to_bytes())
    return w.getvalue()


def decode(data: bytes, where: str) -> list[Signed]:
    r = Reader(data, where)
    out = [Signed.from_bytes(r.blob(f"confirmation[{k}]")) for k in range(r.uint(4, "count"))]
    r.end()
    return out
