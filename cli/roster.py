"""`keycouncil roster`: write a roster from member and operator cards."""

from __future__ import annotations

from pathlib import Path

import click

from cli.member import PathArg
from cli.text import plural


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
    from council.node.folder import read_json, write_json
    from council.roster import MemberCard, OperatorCard, Roster

    r = Roster(threshold, tuple(MemberCard.from_json(read_json(p, "member card"), str(p)) for p in members),
               tuple(OperatorCard.from_json(read_json(p, "operator card"), str(p)) for p in operators))
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
