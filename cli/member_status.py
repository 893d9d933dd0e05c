"""`keycouncil member status DIR`, `keycouncil member auditor add DIR CARD`,
`keycouncil auditor new DIR`: local inspection and the read-only credential (docs/operators.md,
"What to monitor")."""

from __future__ import annotations

from pathlib import Path

import click

from cli.config import MEMBER_FOLDER_ENV
from cli.member import PathArg, passphrase_options
from cli.output import emit_json, json_option, table

DIR = click.Path(path_type=Path, file_okay=False, exists=True)
CARD = click.Path(path_type=Path, dir_okay=False, exists=True)


@click.command("status")
@click.argument("folder", type=DIR, envvar=MEMBER_FOLDER_ENV)
@click.option("--check-shares", is_flag=True, help="Also unseal and check each current share "
              "(needs the folder's passphrase).")
@click.option("--events", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="How many of the last events to show.")
@passphrase_options
@json_option
def status_cmd(folder: Path, check_shares: bool, events: int, passphrase_file: Path | None, insecure: bool,
               as_json: bool) -> None:
    """Show FOLDER's keys, epochs, roster digest, ceremonies in flight and last events, read
    locally (the server need not run; no passphrase unless --check-shares)."""
    from council.node.folder_status import folder_status
    from council.storage.folders import read_passphrase

    passphrase = read_passphrase(passphrase_file, insecure=True) if check_shares else None
    doc = folder_status(folder, passphrase, check_shares, events).doc
    if as_json:
        emit_json({"member": doc})
        return
    click.echo(f"member {doc['name']} in {doc['folder']}, listens on {doc['listen']}"
               + (" (INSECURE: no passphrase)" if doc["insecure"] else ""))
    click.echo(f"serves roster {doc['served_roster_digest'] or '(none kept yet)'}")
    rows = [[k["key_id"], str(k.get("current_epoch", "-")), ",".join(map(str, k["epochs"])),
             f"{k.get('member_index')} ({k.get('member_name')})" if k.get("member_index") else "-",
             (k.get("roster_digest") or "-")[:16], str(k.get("share_file", "-"))] for k in doc["keys"]]
    table(["key", "epoch", "epochs", "member", "roster", "share"], rows)
    click.echo(f"ceremonies in flight: {', '.join(doc['ceremonies_in_flight']) or 'none'}")
    click.echo(f"auditors: {', '.join(doc['auditors']) or 'none'}")
    for e in doc["last_events"]:
        extra = " ".join(f"{k}={v}" for k, v in e.items() if k not in ("ts", "event"))
        click.echo(f"  {e.get('ts')}  {e.get('event')}  {extra}".rstrip())


@click.group("auditor")
def member_auditor() -> None:
    """Read-only clients this member answers (Status and GetEpoch only)."""


@member_auditor.command("add")
@click.argument("folder", type=DIR)
@click.argument("card", type=CARD)
def auditor_add(folder: Path, card: Path) -> None:
    """Accept the auditor of CARD (auditor-card.json) for read-only calls; no restart needed."""
    from council.node.auditors import AUDITORS_DIR, add_auditor

    added = add_auditor(folder, card)
    click.echo(f"auditor {added.name!r} accepted for read-only calls ({folder / AUDITORS_DIR / added.name}.json)")


@click.group("auditor")
def auditor() -> None:
    """A read-only credential for `council status` and monitoring."""


@auditor.command("new")
@click.argument("folder", type=PathArg)
@click.option("--name", required=True, help="Auditor name (1..64 of [A-Za-z0-9._-]).")
@passphrase_options
def auditor_new(folder: Path, name: str, passphrase_file: Path | None, insecure: bool) -> None:
    """Create FOLDER with a TLS client identity and auditor-card.json (give it to each member)."""
    from council.driver.auditor import CARD_NAME, AuditorFolder
    from council.node.folder import INSECURE_WARNING
    from council.storage.folders import read_passphrase

    passphrase = read_passphrase(passphrase_file, insecure)
    AuditorFolder.init(folder, name, passphrase)
    if passphrase is None:
        click.echo(f"warning: {INSECURE_WARNING}", err=True)
    click.echo(f"auditor {name!r} created in {folder}; each member runs "
               f"`keycouncil member auditor add DIR {folder / CARD_NAME}`")


COMMANDS: list[click.Command] = [status_cmd, member_auditor]
