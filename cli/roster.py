"""`keycouncil roster`: write a roster from member and operator cards; propose it in a key's log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.member import PathArg
from cli.operator import open_operator, operator_options, timing_options
from cli.text import plural

RosterFile = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group()
def roster() -> None:
    """Rosters: who the members are, the threshold, the operators."""


@roster.command("new")
@click.option("--threshold", "-t", type=int, required=True, help="Members needed to decrypt.")
@click.option("--member", "members", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              multiple=True, required=True, help="A member-card.json (index order = option order).")
@click.option("--operator", "operators", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              multiple=True, help="An operator-card.json.")
@click.option("-o", "--output", type=PathArg, required=True, help="Roster file to write.")
def new(threshold: int, members: tuple[Path, ...], operators: tuple[Path, ...], output: Path) -> None:
    """Validate the cards and threshold, write the roster, print its digest."""
    from council.log import require_majority
    from council.node.folder import read_json, write_json
    from council.roster import MemberCard, OperatorCard, Roster

    r = Roster(threshold, tuple(MemberCard.from_json(read_json(p, "member card"), str(p)) for p in members),
               tuple(OperatorCard.from_json(read_json(p, "operator card"), str(p)) for p in operators))
    require_majority(r.threshold, len(r.members), "roster new")
    write_json(output, r.to_json())
    click.echo(f"roster of {plural(len(r.members), 'member')}, threshold {r.threshold}, "
               f"{plural(len(r.operators), 'operator')} written to {output}")
    click.echo(f"digest: {r.digest().hex()}")


@roster.command("digest")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def digest(file: Path) -> None:
    """Print a roster's digest (what commits and key bundles refer to)."""
    from council.storage.folders import load_roster

    click.echo(load_roster(file).digest().hex())


@roster.command("propose")
@click.option("--key-id", required=True, help="The key whose next roster this is.")
@click.option("--to", "new_path", type=RosterFile, required=True, help="The proposed roster.")
@click.option("--roster", "current_path", type=RosterFile, default=None,
              help="The key's current roster (default: read from the log, via the proposed roster's members).")
@click.option("--json", "as_json", is_flag=True, help="The outcome as JSON (\"id\": the entry id).")
@operator_options
@timing_options
def propose(key_id: str, new_path: Path, current_path: Path | None, as_json: bool, operator_dir: Path,
            passphrase_file: Path | None, timeout: float, retry_window: float) -> None:
    """Append a roster-proposed entry to KEY's council log: a re-share may deal only to a roster
    accepted there. Prints the entry id and who approved it; again at the same head, the same
    entry collects the approvals given meanwhile. Exit 1 if so many refuse that it cannot pass."""
    from cli.log import approval_lines, report_json
    from council.driver.log_commands import propose_roster
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    outcome = propose_roster(load_roster(new_path), key_id, open_operator(operator_dir, passphrase_file),
                             Timing(timeout, retry_window), load_roster(current_path) if current_path else None)
    if as_json:
        out = report_json(outcome.report) if outcome.report else {"id": None, "key_id": key_id, "accepted": True}
        out.update(status=outcome.status, note=outcome.note or None)
        click.echo(json.dumps(out, sort_keys=True, indent=2))
    else:
        for line in approval_lines(outcome.report) if outcome.report else []:
            click.echo(line)
        if outcome.note:
            click.echo(outcome.note)
        if outcome.status == "refused":
            click.echo("refused by too many members to reach the threshold: see the reasons above")
    if outcome.status == "refused":
        sys.exit(1)
