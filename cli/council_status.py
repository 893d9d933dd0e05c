"""`keycouncil council status`: one row per member, then one line per key."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click

from cli.ceremony import roster_option
from cli.operator import open_operator, optional_operator_options, timing_options
from cli.output import emit_json, json_option, table


@click.group()
def council() -> None:
    """The council as a whole."""


AUDITOR_ENV = "KEYCOUNCIL_AUDITOR"


@council.command("status")
@roster_option("The council's roster.")
@click.option("--auditor", "auditor_dir", type=click.Path(path_type=Path, file_okay=False), envvar=AUDITOR_ENV,
              help=f"A read-only auditor folder (`keycouncil auditor new`) instead of --operator: it can "
              f"query, never sign [env {AUDITOR_ENV}].")
@click.option("--recent", is_flag=True, help="Also list each member's recently finished ceremonies.")
@optional_operator_options
@timing_options
@json_option
def status(roster_path: Path, auditor_dir: Path | None, recent: bool, operator_dir: Path | None, passphrase_file: Path | None,
           timeout: float, retry_window: float, as_json: bool) -> None:
    """Print member, reachable, epoch per key id, served roster, version, and what is stale;
    unfinished ceremonies (id and state); then each key's newest epoch and its last and next epoch
    change."""
    from council.driver.phases import Timing
    from council.driver.status import council_report
    from council.storage.folders import load_roster

    report = council_report(load_roster(roster_path), _client(auditor_dir, operator_dir, passphrase_file),
                            Timing(timeout, retry_window))
    schedules = _schedules(operator_dir if auditor_dir is None else None, [k.key_id for k in report.keys])
    if as_json:
        keys = [{**k.to_json(), "next_change_unix_ms": (schedules.get(k.key_id) or {}).get("next_unix_ms"),
                 "schedule": schedules.get(k.key_id)} for k in report.keys]
        emit_json({"roster_digest": report.roster_digest, "members": [r.to_json() for r in report.rows],
                   "keys": keys})
    else:
        _print(report, schedules)
        if recent:
            click.echo("ceremonies (member, id, key and epoch, state; newest first):")
            for r in report.rows:
                for cid, state in r.recent.items():
                    click.echo(f"  {r.name}  {cid}  {r.ceremony_keys.get(cid, '')}  {state}".rstrip())
    if not report.any_reachable:
        from council.errors import PeerUnavailable

        raise PeerUnavailable("no member of the roster answered")


def _client(auditor_dir: Path | None, operator_dir: Path | None, passphrase_file: Path | None) -> Any:
    """The auditor's folder if given (a read-only credential), else the operator's."""
    if auditor_dir is not None:
        from council.driver.auditor import AuditorFolder
        from council.storage.folders import read_passphrase

        return AuditorFolder.open(auditor_dir, read_passphrase(passphrase_file, insecure=True))
    if operator_dir is None:
        raise click.UsageError("give --operator DIR or --auditor DIR (a read-only credential)")
    return open_operator(operator_dir, passphrase_file)


def _schedules(operator_dir: Path | None, key_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The state `ceremony reshare --every` keeps in the operator folder, by key id."""
    if operator_dir is None:
        return {}
    from council.driver.schedule import read_state

    return {k: doc for k in key_ids if (doc := read_state(operator_dir, k)) is not None}


def next_change(schedule: dict[str, Any] | None) -> str:
    """`2025-07-19T11:00:00Z (ceremony reshare --every 1h)`, or why there is none."""
    if not schedule:
        return "not scheduled (no `ceremony reshare --every` for this operator folder)"
    every = schedule.get("every_seconds")
    if not schedule.get("running"):
        return f"none: the scheduler (every {every:g} s) stopped at {when(schedule.get('updated_unix_ms'))}"
    return f"{when(schedule.get('next_unix_ms'))} (ceremony reshare --every {every:g} s)"


def _print(report: object, schedules: dict[str, dict[str, Any]]) -> None:
    from council.driver.status import CouncilReport

    assert isinstance(report, CouncilReport)
    key_ids = [k.key_id for k in report.keys]
    rows = []
    for r in report.rows:
        epochs = [(f"{r.keys[k].epoch}" + ("" if r.keys[k].holds_share else " (no share)"))
                  if k in r.keys else "-" for k in key_ids]
        roster = (r.served_roster[:16] + (" STALE" if r.stale else "")) if r.served_roster else "-"
        note = "; ".join(([r.error] if r.error else []) + (["insecure dev mode"] if r.insecure else [])
                         + ([f"STALE: {'; '.join(r.stale)}"] if r.stale else [])
                         + ([f"chain {r.chain}"] if r.chain else []))
        rows.append([r.name, "yes" if r.reachable else "no", *epochs, roster, r.version or "-",
                     _unfinished(r.recent), note])
    table(["member", "reachable", *key_ids, "roster", "version", "ceremonies", "note"], rows)
    if report.keys:
        click.echo()
    for k in report.keys:
        reachable = sum(1 for r in report.rows if r.reachable)
        click.echo(f"key {k.key_id}: epoch {k.epoch} on {k.members_at_epoch} of {reachable} reachable "
                   f"members; last epoch change {when(k.last_change_unix_ms)}; next epoch change "
                   f"{next_change(schedules.get(k.key_id))}")
        if k.signing_public_key:
            click.echo(f"  signing key (BN254 G2): {k.signing_public_key}")


def when(unix_ms: int | None) -> str:
    """A UTC time as `2025-07-19T10:01:17Z`, or `unknown`."""
    if not unix_ms:
        return "unknown"
    t = datetime.datetime.fromtimestamp(unix_ms / 1000, datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _unfinished(ceremonies: dict[str, str]) -> str:
    """`ID:STATE` of each ceremony in flight or stored (waiting to erase), or `-`."""
    open_ = [f"{cid}:{state.split()[0]}" for cid, state in ceremonies.items()
             if state.split()[0] in ("in-flight", "stored")]
    return ",".join(open_) or "-"
