"""`keycouncil council status`: one row per member."""

from __future__ import annotations

from pathlib import Path

import click

from cli.operator import open_operator, operator_options, timing_options


@click.group()
def council() -> None:
    """The council as a whole."""


@council.command("status")
@click.option("--roster", "roster_path", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              required=True)
@click.option("--recent", is_flag=True, help="Also list each member's recently finished ceremonies.")
@operator_options
@timing_options
def status(roster_path: Path, recent: bool, operator_dir: Path, passphrase_file: Path | None, timeout: float,
           retry_window: float) -> None:
    """Print member, reachable, epoch per key id, version, unfinished ceremonies (id and state)."""
    from council.driver.phases import Timing
    from council.driver.query import council_status, require_reachable
    from council.storage.folders import load_roster

    rows = council_status(load_roster(roster_path), open_operator(operator_dir, passphrase_file),
                          Timing(timeout, retry_window))
    key_ids = sorted({k for r in rows for k in r.epochs})
    header = ["member", "reachable", *key_ids, "version", "ceremonies", "note"]
    table = [header] + [[r.name, "yes" if r.reachable else "no", *(r.epochs.get(k, "-") for k in key_ids),
                         r.version or "-", _unfinished(r.ceremonies), r.detail] for r in rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if recent:
        click.echo("ceremonies (member, id, key and epoch, state; newest first):")
        for r in rows:
            for cid, state in r.ceremonies.items():
                click.echo(f"  {r.name}  {cid}  {r.ceremony_keys.get(cid, '')}  {state}".rstrip())
    require_reachable(rows)


def _unfinished(ceremonies: dict[str, str]) -> str:
    """`ID:STATE` of each ceremony in flight or stored (waiting to erase), or `-`."""
    open_ = [f"{cid}:{state.split()[0]}" for cid, state in ceremonies.items()
             if state.split()[0] in ("in-flight", "stored")]
    return ",".join(open_) or "-"
