"""`keycouncil key`: fetch and verify a key bundle; rotate or retire a key through its council log."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.ceremony import roster_option
from cli.member import PathArg
from cli.operator import open_operator, operator_options, timing_options
from cli.output import emit_json, json_option
from council.log.bodies import MAX_WAITING_PERIOD_MS

if TYPE_CHECKING:
    from council.driver.key_log import KeyChange

RosterFile = click.Path(path_type=Path, exists=True, dir_okay=False)
WAITING = 3
"""Exit code of `key rotate` / `key retire` while the entry waits for approvals."""
_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> int:
    """'7d', '36h', '1d12h', '90s', '0' → milliseconds; ValueError naming the expected form."""
    text = text.strip().lower()
    if text == "0":
        return 0
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration: expected e.g. 7d, 36h, 1d12h, 90s, 500ms or 0")
    return sum(int(n) * _UNITS[u] for n, u in parts)


class Duration(click.ParamType):
    """A duration option, in milliseconds, at most `max_ms`."""

    name = "DURATION"

    def __init__(self, max_ms: int, max_text: str) -> None:
        self.max_ms, self.max_text = max_ms, max_text

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            ms = value if isinstance(value, int) else parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if ms > self.max_ms:
            self.fail(f"{value} is longer than {self.max_text}", param, ctx)
        return ms


@click.group()
def key() -> None:
    """Keys held by the council."""


@key.command("bundle")
@roster_option("The roster of the key's current epoch.")
@click.option("--key-id", required=True)
@click.option("-o", "--output", type=PathArg, required=True, help="Key bundle file to write.")
@operator_options
@timing_options
@json_option
def bundle(roster_path: Path, key_id: str, output: Path, operator_dir: Path, passphrase_file: Path | None,
           timeout: float, retry_window: float, as_json: bool) -> None:
    """Fetch KEY's bundle from the members, verify its commit signatures, write it (with what the
    key's council log says of it: superseded by a successor, or retired)."""
    from council.driver.phases import Timing
    from council.driver.query import fetch_bundle
    from council.storage.files import write_atomic
    from council.storage.folders import load_roster

    b = fetch_bundle(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                     Timing(timeout, retry_window))
    write_atomic(output, b.dumps().encode())
    if as_json:
        emit_json({"bundle": {"key_id": b.key_id, "epoch": b.epoch, "threshold": b.threshold,
                              "signatures": len(b.signatures), "verified": True, "output": str(output),
                              "public_key": b.public_key.to_bytes().hex(),
                              "roster_digest": b.commit.roster_digest.hex(), "warnings": list(b.warnings())}})
        for line in b.warnings():
            click.secho(line, err=True, fg="red", bold=True)
        return
    click.echo(f"key {b.key_id!r} epoch {b.epoch}, threshold {b.threshold}, "
               f"{len(b.signatures)} commit signatures verified; written to {output}")
    click.echo(f"public key: {b.public_key.to_bytes().hex()}")
    for line in b.warnings():
        click.secho(line, err=True, fg="red", bold=True)


def _finish(change: KeyChange, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(change.to_json(), sort_keys=True))
    else:
        for line in change.lines():
            click.echo(line)
    if not change.accepted:
        sys.exit(WAITING)


@key.command("rotate")
@click.option("--key-id", required=True, help="The key to supersede (OLD).")
@click.option("--to", "successor", required=True, help="The successor key id (NEW) for new dumps.")
@click.option("--roster", "roster_path", type=RosterFile, required=True, help="OLD's current roster.")
@click.option("--successor-roster", type=RosterFile, default=None,
              help="NEW's roster, if other members hold it (default: --roster).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: id, status, approvals.")
@operator_options
@timing_options
def rotate(key_id: str, successor: str, roster_path: Path, successor_roster: Path | None, as_json: bool,
           operator_dir: Path, passphrase_file: Path | None, timeout: float, retry_window: float) -> None:
    """Append a key-rotated entry to OLD's council log naming NEW: bundles and `dump seal` then say
    OLD is superseded. Widening: accepted once t members approved it. Exit code 3 while waiting."""
    from council.driver.key_log import rotate_key
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    change = rotate_key(load_roster(roster_path), key_id, successor, open_operator(operator_dir, passphrase_file),
                        Timing(timeout, retry_window), load_roster(successor_roster) if successor_roster else None)
    _finish(change, as_json)


@key.command("retire")
@click.option("--key-id", required=True)
@click.option("--roster", "roster_path", type=RosterFile, required=True, help="The key's current roster.")
@click.option("--waiting-period", type=Duration(MAX_WAITING_PERIOD_MS, "365d"), default="7d", show_default=True,
              help="How long each member waits, from when it saw the entry accepted, before it erases "
                   "its shares (at most 365d; 0 erases at once).")
@click.option("--reason", default="", help="Recorded in the log entry.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: id, status, approvals.")
@operator_options
@timing_options
def retire(key_id: str, roster_path: Path, waiting_period: int, reason: str, as_json: bool, operator_dir: Path,
           passphrase_file: Path | None, timeout: float, retry_window: float) -> None:
    """Append a key-retired entry (IRREVERSIBLE): once accepted by t members, every member erases
    every share of KEY after the waiting period; recovery of its dumps is then impossible. Exit code
    3 while waiting for approvals."""
    from council.driver.key_log import retire_key
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    change = retire_key(load_roster(roster_path), key_id, waiting_period, reason,
                        open_operator(operator_dir, passphrase_file), Timing(timeout, retry_window))
    _finish(change, as_json)
