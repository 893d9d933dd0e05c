"""The key bundle: what apps seal to (formats.md, "Key bundle").

JSON holding the key id, group public key, epoch, threshold, roster digest, the signed
`EpochCommit` bytes, at least `t` members' commit signatures, and the roster itself so that anyone
can check the signatures offline. `verify()` refuses a bundle whose signatures do not verify.
Optionally, `log_notices`: what the key's council log said when the bundle was fetched (the key is
superseded by a successor, or retired). They are advisory copies, not signed: the log decides.
When the epoch has the council's BN254 signing key, `signing_key` holds its public data (G2 key,
G1 key, every Y_j; checked against the commit's digest) and `signing_public_key` the G2 key in
EIP-197 order, the key the CouncilAnchor contract stores (docs/chain.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from council.crypto.group import Point
from council.crypto.messages import CommitSignature, EpochCommit, Signed, bn254_digest
from council.errors import DecodeError, KeycouncilError
from council.roster import Roster, RosterError

if TYPE_CHECKING:
    from council.crypto.bn254.sharing import BnPrevious

BUNDLE_FORMAT = "keycouncil-key-bundle/1"
NOTICE_KINDS = ("key-rotated", "key-retired")


class BundleError(KeycouncilError):
    """A key bundle is malformed or its commit signatures do not verify."""


@dataclass(frozen=True)
class LogNotice:
    """An accepted key-rotated or key-retired entry of the key's log, as a bundle carries it."""

    kind: str
    seq: int
    entry_id: str
    successor_key_id: str = ""

    def warning(self, key_id: str) -> str:
        """The loud line that `key bundle`, `dump seal` and the library print."""
        where = f"council log entry {self.seq}, id {self.entry_id[:16]}"
        if self.kind == "key-rotated":
            return (f"WARNING: key {key_id!r} is SUPERSEDED by key {self.successor_key_id!r} ({where}): "
                    f"seal new dumps to the bundle of {self.successor_key_id!r}")
        return (f"WARNING: key {key_id!r} is RETIRED ({where}): the members erase its shares after the "
                "waiting period, and dumps sealed to it can then never be recovered")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "seq": self.seq, "entry_id": self.entry_id}
        if self.successor_key_id:
            out["successor_key_id"] = self.successor_key_id
        return out

    @classmethod
    def from_json(cls, obj: Any, where: str) -> LogNotice:
        if not isinstance(obj, dict) or obj.get("kind") not in NOTICE_KINDS:
            raise BundleError(f"{where}.kind: expected one of {', '.join(NOTICE_KINDS)}")
        seq, entry_id, successor = obj.get("seq"), obj.get("entry_id"), obj.get("successor_key_id", "")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise BundleError(f"{where}.seq: expected a log sequence number ≥ 1")
        if not isinstance(entry_id, str) or len(entry_id) != 64 or not _is_hex(entry_id):
            raise BundleError(f"{where}.entry_id: expected 64 hex digits")
        if not isinstance(successor, str) or (obj["kind"] == "key-rotated") != bool(successor):
            raise BundleError(f"{where}.successor_key_id: a key-rotated notice (and only it) names the successor")
        return cls(obj["kind"], seq, entry_id, successor)


@dataclass(frozen=True)
class KeyBundle:
    """A committed epoch of one key, as apps and recovery see it."""

    commit: EpochCommit
    signatures: tuple[CommitSignature, ...]
    roster: Roster
    source: str = "key bundle"
    notices: tuple[LogNotice, ...] = ()
    """What the key's council log said when the bundle was fetched (advisory; the log decides)."""
    signing: BnPrevious | None = None
    """The BN254 signing key's public data, when the epoch has one and the source gave it."""

    @property
    def signing_public_key(self) -> bytes | None:
        """The council's G2 signing key (128 bytes, EIP-197 order), if the bundle carries it."""
        return self.signing.public_key.to_bytes() if self.signing is not None else None

    @property
    def superseded_by(self) -> str | None:
        """The successor key id if the log named one when the bundle was fetched."""
        return next((n.successor_key_id for n in self.notices if n.kind == "key-rotated"), None)

    @property
    def retired(self) -> bool:
        return any(n.kind == "key-retired" for n in self.notices)

    def warnings(self) -> list[str]:
        """One loud line per notice (empty for a key in ordinary use)."""
        return [n.warning(self.key_id) for n in self.notices]

    @property
    def key_id(self) -> str:
        return self.commit.key_id

    @property
    def epoch(self) -> int:
        return self.commit.epoch

    @property
    def public_key(self) -> Point:
        return self.commit.public_key

    @property
    def threshold(self) -> int:
        return self.commit.threshold

    def verify(self, expected_roster_digest: bytes | None = None) -> None:
        """Raise BundleError unless ≥ t roster members signed this exact commit."""
        digest = self.roster.digest()
        if digest != self.commit.roster_digest:
            raise BundleError(f"{self.source}: embedded roster does not match the commit's roster digest")
        if expected_roster_digest is not None and digest != expected_roster_digest:
            raise BundleError(f"{self.source}: roster digest {digest.hex()[:16]}… is not the pinned "
                              f"{expected_roster_digest.hex()[:16]}…")
        if self.commit.threshold != self.roster.threshold:
            raise BundleError(f"{self.source}: commit threshold {self.commit.threshold} differs from "
                              f"the roster's {self.roster.threshold}")
        valid = valid_signers(self.commit, self.signatures, self.roster)
        if len(valid) < self.commit.threshold:
            raise BundleError(f"{self.source}: {len(valid)} valid commit signatures, "
                              f"{self.commit.threshold} needed (key {self.key_id}, epoch {self.epoch})")
        if self.signing is not None and (self.commit.bn254_digest is None
                                         or bn254_digest(self.signing) != self.commit.bn254_digest):
            raise BundleError(f"{self.source}: the signing key does not match the signed commit")

    def to_json(self) -> dict[str, Any]:
        return {"format": BUNDLE_FORMAT, "key_id": self.key_id, "epoch": self.epoch,
                "threshold": self.threshold, "public_key": self.public_key.to_bytes().hex(),
                "roster_digest": self.commit.roster_digest.hex(), "commit": self.commit.to_bytes().hex(),
                "signatures": [{"member": s.member, "signature": s.signature.hex()} for s in self.signatures],
                "roster": self.roster.to_json(),
                **({"log_notices": [n.to_json() for n in self.notices]} if self.notices else {}),
                **({"signing_key": self.signing.to_bytes().hex(),
                    "signing_public_key": self.signing.public_key.to_bytes().hex()} if self.signing else {})}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def loads(cls, text: str | bytes, source: str = "key bundle") -> KeyBundle:
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BundleError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(d, dict) or d.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"{source}.format: expected {BUNDLE_FORMAT!r}")
        try:
            commit = EpochCommit.from_bytes(bytes.fromhex(_field(d, "commit", str, source)))
            roster = Roster.from_json(d.get("roster"), f"{source}.roster")
            sigs = tuple(_signature(s, f"{source}.signatures[{n}]")
                         for n, s in enumerate(_field(d, "signatures", list, source)))
        except (DecodeError, RosterError) as exc:
            raise BundleError(f"{source}: {exc}") from None
        except ValueError:
            raise BundleError(f"{source}.commit: not hexadecimal") from None
        _check_summary(d, commit, source)
        notices = d.get("log_notices", [])
        if not isinstance(notices, list):
            raise BundleError(f"{source}.log_notices: expected a list")
        return cls(commit, sigs, roster, source,
                   tuple(LogNotice.from_json(n, f"{source}.log_notices[{i}]") for i, n in enumerate(notices)),
                   _signing(d, source))

    @classmethod
    def load(cls, path: str | Path) -> KeyBundle:
        try:
            return cls.loads(Path(path).read_bytes(), str(path))
        except OSError as exc:
            raise BundleError(f"{path}: cannot read key bundle ({exc.strerror})") from None


def valid_signers(commit: EpochCommit, signatures: Sequence[CommitSignature], roster: Roster) -> list[int]:
    """Distinct roster members whose signature over the commit verifies."""
    committee, body, good = roster.committee(), commit.to_bytes(), []
    for s in signatures:
        if s.member in good or s.member not in committee.members:
            continue
        try:
            Signed(EpochCommit.KIND, s.member, body, s.signature).verify(committee.members[s.member],
                                                                        EpochCommit.KIND)
        except KeycouncilError:
            continue
        good.append(s.member)
    return good


def _field(d: dict[str, Any], key: str, kind: type, source: str) -> Any:
    v = d.get(key)
    if not isinstance(v, kind):
        raise BundleError(f"{source}.{key}: expected a {kind.__name__}")
    return v


def _signature(obj: Any, where: str) -> CommitSignature:
    if not isinstance(obj, dict) or not isinstance(obj.get("member"), int) or not isinstance(obj.get("signature"), str):
        raise BundleError(f"{where}: expected {{member: int, signature: hex}}")
    try:
        return CommitSignature(obj["member"], bytes.fromhex(obj["signature"]))
    except ValueError:
        raise BundleError(f"{where}.signature: not hexadecimal") from None


def _signing(d: dict[str, Any], source: str) -> BnPrevious | None:
    raw = d.get("signing_key")
    if raw is None:
        return None
    from council.crypto.bn254.sharing import BnPrevious  # only bundles with a signing key need it

    try:
        signing = BnPrevious.from_bytes(bytes.fromhex(_field(d, "signing_key", str, source)), f"{source}.signing_key")
    except ValueError:
        raise BundleError(f"{source}.signing_key: not hexadecimal") from None
    except DecodeError as exc:
        raise BundleError(f"{source}: {exc}") from None
    if d.get("signing_public_key") != signing.public_key.to_bytes().hex():
        raise BundleError(f"{source}.signing_public_key: disagrees with signing_key")
    return signing


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _check_summary(d: dict[str, Any], commit: EpochCommit, source: str) -> None:
    """The readable summary fields must agree with the signed commit."""
    expected = {"key_id": commit.key_id, "epoch": commit.epoch, "threshold": commit.threshold,
                "public_key": commit.public_key.to_bytes().hex(), "roster_digest": commit.roster_digest.hex()}
    for key, value in expected.items():
        if d.get(key) != value:
            raise BundleError(f"{source}.{key}: {d.get(key)!r} disagrees with the signed commit ({value!r})")
