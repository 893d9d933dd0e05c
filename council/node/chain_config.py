"""A member's chain configuration: `member serve --chain-rpc URL --contract ADDR [--confirmations N]
[--chain-account FILE]` over the `[chain]` table of `FOLDER/member.toml` (docs/chain.md). Light on
purpose: `member serve` reads it before anything of the chain stack is imported."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from council.storage.folders import FolderError

CONFIG_FILE = "member.toml"


@dataclass(frozen=True)
class ChainConfig:
    """Where the member reads the anchor, how deep an anchor must be, and who submits."""

    rpc: str
    contract: str
    confirmations: int = 1
    account: Path | None = None
    poll_seconds: float = 2.0


def load_chain_config(folder: Path, rpc: str | None = None, contract: str | None = None,
                      confirmations: int | None = None, account: Path | None = None) -> ChainConfig | None:
    """The flags over `FOLDER/member.toml` `[chain]` (rpc, contract, confirmations, account,
    poll_seconds); None when neither names a chain."""
    table: dict[str, Any] = {}
    path = folder / CONFIG_FILE
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise FolderError(f"{path}: not valid TOML ({exc})") from None
        table = raw.get("chain", {})
        unknown = set(table) - {"rpc", "contract", "confirmations", "account", "poll_seconds"}
        if not isinstance(table, dict) or unknown:
            raise FolderError(f"{path}: [chain] has unknown fields {sorted(unknown)}")
    rpc = rpc_from(rpc) if rpc else table.get("rpc")
    contract = contract or table.get("contract")
    if not rpc and not contract:
        return None
    if not (isinstance(rpc, str) and rpc and isinstance(contract, str) and contract):
        raise FolderError("a chain needs both an RPC URL and a contract address (--chain-rpc and --contract, "
                          f"or rpc and contract in {path} [chain])")
    depth = confirmations if confirmations is not None else table.get("confirmations", 1)
    poll = table.get("poll_seconds", 2.0)
    if not isinstance(depth, int) or depth < 1 or not isinstance(poll, int | float) or poll <= 0:
        raise FolderError(f"{path}: confirmations must be an integer ≥ 1 and poll_seconds a positive number")
    key_file = account or (folder / table["account"] if "account" in table else None)
    return ChainConfig(rpc, contract, depth, key_file, float(poll))


def shown_rpc(url: str) -> str:
    """The RPC URL as logs and status show it: scheme, host and port only (a path, query or user
    part often carries an API key, which is a credential)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme or 'http'}://{host}" + (f":{parts.port}" if parts.port else "") + \
        ("/…" if parts.path.strip("/") or parts.query or parts.username else "")


def scrub(text: str, url: str) -> str:
    """`text` with the URL's secret-bearing parts replaced by `shown_rpc(url)`'s."""
    parts = urlsplit(url)
    out = text.replace(url, shown_rpc(url))
    for secret in (parts.path if parts.path.strip("/") else "", parts.query, parts.username or "", parts.password or ""):
        if secret:
            out = out.replace(secret, "…")
    return out


def rpc_from(value: str) -> str:
    """`--chain-rpc` value: a URL, or `@FILE` to read it from a file (keeps an API key off argv)."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise FolderError(f"{path}: cannot read the RPC URL ({exc.strerror})") from None
