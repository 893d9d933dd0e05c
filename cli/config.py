"""Defaults for the `keycouncil` command from `keycouncil.toml` and the environment.

Precedence, for every option: the flag given > its environment variable > the config file >
the built-in default (docs/operators.md, "Defaults: environment and keycouncil.toml"). The config
file is `$KEYCOUNCIL_CONFIG`, else `keycouncil.toml` in the current folder; relative paths in it
are relative to the file. It holds paths only, never a passphrase:

    roster = "roster.json"                       # --roster of operator commands
    operator = "~/kc-ops"                        # --operator
    operator_passphrase_file = "~/ops.pass"      # --passphrase-file of operator commands
    [member]
    folder = "/srv/kc"                           # FOLDER of `member serve | status | backup ...`
    passphrase_file = "/root/kc.pass"            # --passphrase-file of member commands
    metrics = "127.0.0.1:9464"                   # `member serve --metrics`

Click applies the result as its `default_map`, so a value from here counts as a default: a flag
or an environment variable (click's `envvar`) wins over it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import click

from council.errors import KeycouncilError

CONFIG_ENV = "KEYCOUNCIL_CONFIG"
CONFIG_NAME = "keycouncil.toml"
ROSTER_ENV = "KEYCOUNCIL_ROSTER"
OPERATOR_ENV = "KEYCOUNCIL_OPERATOR"
OPERATOR_PASSPHRASE_FILE_ENV = "KEYCOUNCIL_OPERATOR_PASSPHRASE_FILE"
MEMBER_PASSPHRASE_FILE_ENV = "KEYCOUNCIL_MEMBER_PASSPHRASE_FILE"
MEMBER_FOLDER_ENV = "KEYCOUNCIL_MEMBER_FOLDER"

_TOP = {"roster": "roster_path", "operator": "operator_dir", "operator_passphrase_file": "passphrase_file"}
_MEMBER = {"folder": "folder", "passphrase_file": "passphrase_file", "metrics": "metrics"}
_NO_ROSTER_DEFAULT = {("member", "serve")}
"""`member serve` keeps and follows its own roster: a default roster would override that."""


class ConfigError(KeycouncilError):
    """keycouncil.toml is unreadable or has an unknown or mistyped field."""


def config_path() -> Path | None:
    """$KEYCOUNCIL_CONFIG (must exist), else ./keycouncil.toml if present."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={named}: no such file")
        return path
    here = Path(CONFIG_NAME)
    return here if here.is_file() else None


def load_config(path: Path) -> dict[str, Any]:
    """The file's fields, paths resolved against its folder; unknown fields are refused."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    member = raw.pop("member", {})
    if not isinstance(member, dict):
        raise ConfigError(f"{path}: [member] must be a table")
    out = {"top": _fields(raw, _TOP, path, ""), "member": _fields(member, _MEMBER, path, "member.")}
    return out


def _fields(table: dict[str, Any], known: dict[str, str], path: Path, prefix: str) -> dict[str, str]:
    out = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown field {prefix}{key} (known: {', '.join(prefix + k for k in known)})")
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{path}: {prefix}{key} must be a non-empty string")
        out[known[key]] = value if key == "metrics" else str(path.parent / Path(value).expanduser())
    return out


def default_map(group: click.Group, config: dict[str, Any]) -> dict[str, Any]:
    """Click's default_map for every command that has the parameters the config sets."""
    return _walk(group, (), config)


def _walk(group: click.Group, path: tuple[str, ...], config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # loads lazily imported groups: only with a config file
        cmd = group.get_command(ctx, name)
        if cmd is None:
            continue
        here = (*path, name)
        values = _values(cmd, here, config)
        if isinstance(cmd, click.Group):
            values.update(_walk(cmd, here, config))
        if values:
            out[name] = values
    return out


MEMBER_FOLDER_COMMANDS = {("member", "serve"), ("member", "status"), ("member", "requests"),
                          ("member", "backup", "export")}
"""Member commands whose only argument is FOLDER (so a default FOLDER cannot shift others)."""


def _values(cmd: click.Command, path: tuple[str, ...], config: dict[str, Any]) -> dict[str, str]:
    names = {p.name for p in cmd.params}
    if path[0] == "member":
        source = dict(config["member"])
        if path not in MEMBER_FOLDER_COMMANDS:
            source.pop("folder", None)
    elif "operator_dir" in names:
        source = dict(config["top"])
        if path == ("recover",) and "passphrase_file" in source:
            source["operator_passphrase"] = source.pop("passphrase_file")
    else:
        source = {}
    if path in _NO_ROSTER_DEFAULT:
        source.pop("roster_path", None)
    return {k: v for k, v in source.items() if k in names}


def context_defaults(group: click.Group) -> dict[str, Any]:
    """`default_map` for `group.main`, from the config file if there is one."""
    path = config_path()
    return default_map(group, load_config(path)) if path is not None else {}
