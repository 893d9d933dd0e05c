"""The backup file: one SLIP-39 mnemonic of one member's share, with a readable label and the
public data of its epoch. Format in docs/recovery.md, "Backup files".

    keycouncil-backup/1                     (keycouncil-backup/2: with the BN254 signing share)
    # comment lines (what this is, which group/share, INSECURE notes)
    key_id: <key id>
    epoch: <decimal>
    member: <decimal index>
    roster_digest: <64 hex>
    passphrase: none | required
    signing_share: bn254                    (version 2 only)
    mnemonic:
      <words, indented, any number per line>
    public:
    <JSON {"bundle": key bundle, "verification_shares": {"1": hex, ...}}>

Parsing is strict and names the file and line; the JSON part is verified (bundle signatures and
the `Y_j` list against the commit's digest) and must agree with the label fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Final

from shamir_mnemonic import MnemonicError, Share

from council.crypto.keyid import KEY_ID_RULE, is_valid_key_id
from council.protocol.epoch import CouncilEpoch
from council.protocol.errors import BackupFileInvalid

MAGIC: Final = "keycouncil-backup/1"
MAGIC_SIGNING: Final = "keycouncil-backup/2"
"""Version 2: the mnemonics also hold the member's BN254 signing share (docs/recovery.md)."""
MAX_FILE_BYTES: Final = 1 << 20
FIELDS: Final = ("key_id", "epoch", "member", "roster_digest", "passphrase")
FIELDS_SIGNING: Final = (*FIELDS, "signing_share")
_DECIMAL: Final = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class BackupLabel:
    """What a backup is bound to: key id, epoch, member index and roster digest."""

    key_id: str
    epoch: int
    member: int
    roster_digest: bytes
    name: str = field(default="", compare=False)
    """The member's name in the epoch's roster (from the file's public part; not bound)."""

    def describe(self) -> str:
        who = f"member {self.member}" + (f" ({self.name})" if self.name else "")
        return f"{who} of key {self.key_id} epoch {self.epoch}"


@dataclass(frozen=True)
class BackupFile:
    """A parsed backup file (the mnemonic is not yet combined, so nothing is verified secretly)."""

    source: str
    label: BackupLabel
    passphrase_required: bool
    mnemonic: str
    share: Share
    council: CouncilEpoch
    signing_share: bool = False
    """Version 2: the secret is the state share then the BN254 signing share (masked apart)."""

    def __repr__(self) -> str:
        return f"BackupFile({self.source!r}, {self.label.describe()})"


def render(label: BackupLabel, mnemonic: str, passphrase_required: bool, council: CouncilEpoch,
           signing_share: bool = False) -> str:
    """The text of one backup file (version 2 when it carries the BN254 signing share)."""
    share = Share.from_mnemonic(mnemonic)
    words = mnemonic.split()
    lines = [MAGIC_SIGNING if signing_share else MAGIC, *_comments(label, share, passphrase_required),
             f"key_id: {label.key_id}", f"epoch: {label.epoch}", f"member: {label.member}",
             f"roster_digest: {label.roster_digest.hex()}",
             f"passphrase: {'required' if passphrase_required else 'none'}",
             *(["signing_share: bn254"] if signing_share else []), "mnemonic:"]
    lines += ["  " + " ".join(words[k:k + 6]) for k in range(0, len(words), 6)]
    lines += ["public:", json.dumps(council.to_json(), indent=1, sort_keys=True)]
    return "\n".join(lines) + "\n"


def _comments(label: BackupLabel, share: Share, passphrase_required: bool) -> list[str]:
    out = [f"# SECRET: one SLIP-39 mnemonic of {label.describe()} (roster "
           f"{label.roster_digest.hex()[:16]}…). Keep it offline, apart from its sibling files.",
           f"# This file: group {share.group_index + 1} of {share.group_count} "
           f"({share.group_threshold} group{'' if share.group_threshold == 1 else 's'} needed), "
           f"share {share.index + 1} in its group "
           f"({share.member_threshold} needed).",
           "# Stale after the next re-share of this key: then export a new backup."]
    if not passphrase_required:
        out.append("# INSECURE: no passphrase. Enough of these files alone rebuild the member's share.")
    return out


def parse(data: bytes, source: str) -> BackupFile:
    """Parse untrusted bytes of a backup file; BackupFileInvalid naming `source` on any problem."""
    if len(data) > MAX_FILE_BYTES:
        raise BackupFileInvalid(f"{source}: {len(data)} bytes, a backup file is at most {MAX_FILE_BYTES}")
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise BackupFileInvalid(f"{source}: not UTF-8 text") from None
    magic = lines[0].rstrip("\r")
    if magic not in (MAGIC, MAGIC_SIGNING):
        raise BackupFileInvalid(f"{source}: line 1 must be {MAGIC!r} or {MAGIC_SIGNING!r} (not a keycouncil backup)")
    signing = magic == MAGIC_SIGNING
    fields, pos = _fields(lines, source, FIELDS_SIGNING if signing else FIELDS)
    if signing and fields["signing_share"] != "bn254":
        raise BackupFileInvalid(f"{source}: signing_share: expected 'bn254'")
    words, pos = _mnemonic(lines, pos, source)
    label = _label(fields, source)
    share = _share(words, source)
    council = CouncilEpoch.from_json(_public(lines, pos, source), f"{source}: public")
    _check_consistent(label, council, source)
    if signing and council.bundle.signing is None:
        raise BackupFileInvalid(f"{source}: a backup with a signing share needs the signing key in its key bundle")
    label = replace(label, name=council.bundle.roster.member(label.member).name)
    return BackupFile(source, label, fields["passphrase"] == "required", words, share, council, signing)


def _fields(lines: list[str], source: str, names: tuple[str, ...] = FIELDS) -> tuple[dict[str, str], int]:
    fields: dict[str, str] = {}
    pos = 1
    while pos < len(lines) and lines[pos].rstrip("\r") != "mnemonic:":
        line = lines[pos].rstrip("\r")
        pos += 1
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(": ")
        if not sep or key not in names:
            raise BackupFileInvalid(f"{source}: line {pos}: expected one of {', '.join(names)}")
        if key in fields:
            raise BackupFileInvalid(f"{source}: line {pos}: {key} given twice")
        fields[key] = value
    missing = [k for k in names if k not in fields]
    if missing or pos >= len(lines):
        raise BackupFileInvalid(f"{source}: missing {', '.join(missing) or 'mnemonic:'}")
    return fields, pos + 1


def _mnemonic(lines: list[str], pos: int, source: str) -> tuple[str, int]:
    words: list[str] = []
    while pos < len(lines) and lines[pos].startswith("  "):
        words += lines[pos].split()
        pos += 1
    if pos >= len(lines) or lines[pos].rstrip("\r") != "public:":
        raise BackupFileInvalid(f"{source}: line {pos + 1}: expected indented mnemonic words, then 'public:'")
    return " ".join(words), pos + 1


def _label(fields: dict[str, str], source: str) -> BackupLabel:
    if not is_valid_key_id(fields["key_id"]):
        raise BackupFileInvalid(f"{source}: key_id: expected {KEY_ID_RULE}")
    epoch = _number(fields["epoch"], "epoch", source, 1 << 64)
    member = _number(fields["member"], "member", source, 1 << 16)
    if member == 0:
        raise BackupFileInvalid(f"{source}: member: indices start at 1")
    try:
        digest = bytes.fromhex(fields["roster_digest"])
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise BackupFileInvalid(f"{source}: roster_digest: expected 64 hexadecimal digits")
    if fields["passphrase"] not in ("none", "required"):
        raise BackupFileInvalid(f"{source}: passphrase: expected 'none' or 'required'")
    return BackupLabel(fields["key_id"], epoch, member, digest)


def _number(text: str, name: str, source: str, bound: int) -> int:
    if not _DECIMAL.fullmatch(text) or int(text) >= bound:
        raise BackupFileInvalid(f"{source}: {name}: expected a decimal number below {bound}")
    return int(text)


def _share(words: str, source: str) -> Share:
    try:
        return Share.from_mnemonic(words)
    except (MnemonicError, ValueError, KeyError) as exc:
        raise BackupFileInvalid(f"{source}: mnemonic: {_mnemonic_error(exc)}") from None


def _mnemonic_error(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return "a word is not in the SLIP-39 word list"
    return str(exc).split("\n")[0][:200]


def _public(lines: list[str], pos: int, source: str) -> object:
    try:
        return json.loads("\n".join(lines[pos:]))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BackupFileInvalid(f"{source}: public: not valid JSON ({type(exc).__name__})") from None


def _check_consistent(label: BackupLabel, council: CouncilEpoch, source: str) -> None:
    bundle = council.bundle
    for name, ours, theirs in (("key_id", label.key_id, bundle.key_id), ("epoch", label.epoch, bundle.epoch),
                               ("roster_digest", label.roster_digest, bundle.commit.roster_digest)):
        if ours != theirs:
            raise BackupFileInvalid(f"{source}: {name} disagrees with the file's key bundle")
    if label.member not in council.verification_shares:
        raise BackupFileInvalid(f"{source}: member {label.member} holds no share in epoch {label.epoch}")

