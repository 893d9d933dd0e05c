"""`keycouncil ceremony`: run a DKG, a re-share, or a catch-up as an operator."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.operator import open_operator, operator_options, timing_options
from council.crypto.keyid import KEY_ID_RULE, is_valid_key_id

RosterFile = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group()
def ceremony() -> None:
    """Key ceremonies, driven by an operator of the roster."""


def check_key_id_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--key-id follows the one key-id rule (docs/dump-format.md, "Key ids")."""
    if value is not None and not is_valid_key_id(value):
        raise click.BadParameter(f"{value!r}: expected {KEY_ID_RULE}")
    return value


def _finish(lines: list[str], committed: bool) -> None:
    for line in lines:
        click.echo(line)
    if not committed:
        sys.exit(1)


@ceremony.command("dkg")
@click.option("--roster", "roster_path", type=RosterFile, required=True)
@click.option("--key-id", required=True, callback=check_key_id_option,
              help=f"Name of the new key ({KEY_ID_RULE}; docs/dump-format.md, \"Key ids\").")
@operator_options
@timing_options
def dkg(roster_path: Path, key_id: str, operator_dir: Path, passphrase_file: Path | None,
        timeout: float, retry_window: float) -> None:
    """Generate a new key among the roster's members (epoch 0)."""
    from council.driver.ceremony import run_dkg
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    report = run_dkg(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                     Timing(timeout, retry_window))
    _finish(report.lines(), report.committed)


@ceremony.command("reshare")
@click.option("--key-id", required=True)
@click.option("--from", "old_path", type=RosterFile, required=True, help="Roster of the current epoch.")
@click.option("--to", "new_path", type=RosterFile, required=True, help="Roster of the new epoch.")
@operator_options
@timing_options
def reshare(key_id: str, old_path: Path, new_path: Path, operator_dir: Path, passphrase_file: Path | None,
            timeout: float, retry_window: float) -> None:
    """Re-share KEY's current epoch to the new roster; the public key stays the same."""
    from council.driver.ceremony import run_reshare
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    report = run_reshare(load_roster(old_path), load_roster(new_path), key_id,
                         open_operator(operator_dir, passphrase_file), Timing(timeout, retry_window))
    _finish(report.lines(), report.committed)


@ceremony.command("catch-up")
@click.option("--roster", "roster_path", type=RosterFile, required=True, help="The current roster.")
@click.option("--key-id", required=True)
@click.option("--from", "old_path", type=RosterFile, default=None,
              help="A previous roster: its members who left and missed the re-share erase their share.")
@operator_options
@timing_options
def catch_up(roster_path: Path, key_id: str, old_path: Path | None, operator_dir: Path,
             passphrase_file: Path | None, timeout: float, retry_window: float) -> None:
    """Bring members that missed the last ceremony of KEY up to its current epoch."""
    from council.driver.catchup import run_catch_up
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    result = run_catch_up(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                          Timing(timeout, retry_window), load_roster(old_path) if old_path else None)
    _finish([f"{name}: {what}" for name, what in result.items()],
            all(not w.startswith("not caught up") for w in result.values()))


@ceremony.command("resume")
@click.option("--roster", "roster_path", type=RosterFile, required=True,
              help="A roster whose members took part (the old one for a re-share).")
@click.option("--ceremony-id", required=True, help="The ceremony id (hex), as printed or in `council status`.")
@operator_options
@timing_options
def resume(roster_path: Path, ceremony_id: str, operator_dir: Path, passphrase_file: Path | None,
           timeout: float, retry_window: float) -> None:
    """Finish a ceremony whose driver stopped after the members signed its commit."""
    from council.driver.ceremony import run_resume
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    try:
        cid = bytes.fromhex(ceremony_id)
    except ValueError:
        raise click.BadParameter("expected hexadecimal", param_hint="--ceremony-id") from None
    report = run_resume(load_roster(roster_path), cid, open_operator(operator_dir, passphrase_file),
                        Timing(timeout, retry_window))
    _finish(report.lines(), report.committed)
