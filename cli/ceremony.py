"""`keycouncil ceremony`: run a DKG, a re-share, or a catch-up as an operator."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from council.driver.ceremony import CeremonyReport

from cli.config import ROSTER_ENV
from cli.operator import open_operator, operator_options, timing_options
from cli.output import emit_json, json_option, step
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


def roster_option(help_text: str | None = None, required: bool = True) -> Any:
    """--roster FILE (else $KEYCOUNCIL_ROSTER, else `roster` in keycouncil.toml)."""
    return click.option("--roster", "roster_path", type=RosterFile, required=required, envvar=ROSTER_ENV,
                        help=(help_text or "The roster.") + f" [env {ROSTER_ENV}]")


def finish_report(report: Any, as_json: bool) -> None:
    """Print a CeremonyReport (text or JSON); exit 1 unless it committed, older shares are erased and
    the council log records the epoch."""
    if as_json:
        emit_json({"ceremony": report.to_json()})
    else:
        for line in report.lines():
            click.echo(line)
    if not report.done():
        sys.exit(1)


def _announce(report: CeremonyReport) -> None:
    """Name the ceremony before phase 1: a driver killed later has told its operator what to resume
    (on stderr with --json, so stdout stays one JSON document)."""
    as_json = bool(click.get_current_context().params.get("as_json"))
    click.echo(f"ceremony {report.ceremony_id} started: {report.kind} of key {report.key_id!r} epoch "
               f"{report.epoch} (if this driver stops: keycouncil ceremony resume --ceremony-id "
               f"{report.ceremony_id})", err=as_json)


@ceremony.command("dkg")
@roster_option("The roster of the new key's council.")
@click.option("--key-id", required=True, callback=check_key_id_option,
              help=f"Name of the new key ({KEY_ID_RULE}; docs/dump-format.md, \"Key ids\").")
@click.option("--signing-key", is_flag=True, default=False,
              help="Also make the council's BN254 signing key (for the chain anchor, docs/chain.md); "
              "one key id per council lineage is enough.")
@operator_options
@timing_options
@json_option
def dkg(roster_path: Path, key_id: str, signing_key: bool, operator_dir: Path, passphrase_file: Path | None,
        timeout: float, retry_window: float, as_json: bool) -> None:
    """Generate a new key among the roster's members (epoch 0)."""
    from council.driver.ceremony import run_dkg
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    with step(f"dkg of {key_id}") as phase:
        report = run_dkg(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                         Timing(timeout, retry_window), hook=phase, on_start=_announce, signing_key=signing_key)
    finish_report(report, as_json)


@ceremony.command("reshare")
@click.option("--key-id", required=True, callback=check_key_id_option)
@click.option("--from", "old_path", type=RosterFile, help="Roster of the current epoch.")
@click.option("--to", "new_path", type=RosterFile, help="Roster of the new epoch.")
@click.option("--roster", "roster_path", type=RosterFile, envvar=ROSTER_ENV,
              help=f"Re-share to the same roster (--from and --to both this roster) [env {ROSTER_ENV}].")
@click.option("--every", "every", default=None, metavar="DURATION",
              help="Keep running: re-share to the same roster every DURATION (30s, 15m, 6h, 1d), "
              "with jitter; stops cleanly on SIGTERM.")
@click.option("--jitter", default=0.1, show_default=True, type=click.FloatRange(0.0, 0.5),
              help="With --every: each wait is DURATION × (1 ± JITTER), at random.")
@click.option("--catch-up-every", default=None, metavar="DURATION",
              help="With --every: between re-shares, try to catch up members that missed one "
              "(default: DURATION / 4).")
@click.option("--max-epochs", type=click.IntRange(min=1), default=None,
              help="With --every: stop after this many committed epochs (tests, rehearsals).")
@click.option("--signing-key", is_flag=True, default=False,
              help="Give the key the council's BN254 signing key if its epoch has none (docs/chain.md); "
              "one that has it always carries it.")
@operator_options
@timing_options
@json_option
def reshare(key_id: str, old_path: Path | None, new_path: Path | None, roster_path: Path | None,
            every: str | None, jitter: float, catch_up_every: str | None, max_epochs: int | None,
            signing_key: bool, operator_dir: Path, passphrase_file: Path | None, timeout: float, retry_window: float,
            as_json: bool) -> None:
    """Re-share KEY's current epoch to the new roster; the public key stays the same."""
    from council.driver.ceremony import run_reshare
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    old_path, new_path = _rosters(old_path, new_path, roster_path, every is not None)
    operator = open_operator(operator_dir, passphrase_file)
    timing = Timing(timeout, retry_window)
    if every is not None:
        from cli.schedule import run_schedule

        run_schedule(load_roster(new_path), key_id, operator, timing, every, jitter, catch_up_every,
                     max_epochs, as_json)
        return
    from cli.log import approval_lines
    from council.driver.ceremony_log import RosterNotAccepted

    try:
        with step(f"reshare of {key_id}") as phase:
            report = run_reshare(load_roster(old_path), load_roster(new_path), key_id, operator, timing,
                                 hook=phase, on_start=_announce, signing_key=signing_key)
    except RosterNotAccepted as exc:
        lines = [f"re-share of key {key_id!r} NOT STARTED: the new roster is not accepted in the key's council log "
                 "(members deal only to a roster that t members of the current epoch approved)",
                 *approval_lines(exc.report)]
        if as_json:
            emit_json({"ceremony": {"kind": "reshare", "key_id": key_id, "committed": False,
                                    "failure": "the new roster is not accepted in the key's council log",
                                    "log": lines[1:]}})
        else:
            for line in lines:
                click.echo(line)
        sys.exit(1)
    finish_report(report, as_json)


def _rosters(old: Path | None, new: Path | None, same: Path | None, scheduled: bool) -> tuple[Path, Path]:
    """--from/--to, or --roster for both; --every re-shares to the same roster only."""
    ctx = click.get_current_context()
    explicit_same = ctx.get_parameter_source("roster_path") in (
        click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT,
        click.core.ParameterSource.DEFAULT_MAP)
    if old is None and new is None and explicit_same and same is not None:
        return same, same
    if old is None or new is None:
        raise click.UsageError("give --from FILE and --to FILE, or --roster FILE to re-share to the same roster")
    if scheduled and old.resolve() != new.resolve():
        raise click.UsageError("--every re-shares to the same roster: give --roster FILE (or the same "
                               "file as --from and --to)")
    return old, new


@ceremony.command("catch-up")
@roster_option("The current roster.")
@click.option("--key-id", required=True, callback=check_key_id_option)
@click.option("--from", "old_path", type=RosterFile, default=None,
              help="A previous roster: its members who left and missed the re-share erase their share.")
@operator_options
@timing_options
@json_option
def catch_up(roster_path: Path, key_id: str, old_path: Path | None, operator_dir: Path,
             passphrase_file: Path | None, timeout: float, retry_window: float, as_json: bool) -> None:
    """Bring members that missed the last ceremony of KEY up to its current epoch."""
    from council.driver.catchup import run_catch_up
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    with step(f"catch-up of {key_id}") as phase:
        phase("asking every member")
        result = run_catch_up(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                              Timing(timeout, retry_window), load_roster(old_path) if old_path else None)
    complete = all(not w.startswith("not caught up") for w in result.values())
    if as_json:
        emit_json({"catch_up": {"key_id": key_id, "complete": complete,
                                "members": [{"name": n, "result": w} for n, w in result.items()]}})
    else:
        for name, what in result.items():
            click.echo(f"{name}: {what}")
    if not complete:
        sys.exit(1)


@ceremony.command("resume")
@roster_option("A roster whose members took part (the old one for a re-share).")
@click.option("--ceremony-id", required=True, help="The ceremony id (hex), as printed or in `council status`.")
@operator_options
@timing_options
@json_option
def resume(roster_path: Path, ceremony_id: str, operator_dir: Path, passphrase_file: Path | None,
           timeout: float, retry_window: float, as_json: bool) -> None:
    """Finish a ceremony whose driver stopped after the members signed its commit."""
    from council.driver.ceremony import run_resume
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    try:
        cid = bytes.fromhex(ceremony_id)
    except ValueError:
        raise click.BadParameter("expected hexadecimal", param_hint="--ceremony-id") from None
    with step(f"resume of {ceremony_id}") as phase:
        report = run_resume(load_roster(roster_path), cid, open_operator(operator_dir, passphrase_file),
                            Timing(timeout, retry_window), hook=phase, on_start=_announce)
    finish_report(report, as_json)
