"""How commands print: aligned tables, `--json` documents (docs/operators.md, "JSON output"),
and progress on terminals.

`--json` writes one JSON document to stdout (sorted keys, indented) with the stable fields
documented in docs/operators.md; warnings and progress stay on stderr. Progress appears only when
stderr is a terminal, so scripts and logs never see it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

JSON_FORMAT = 1
"""Bumped only if a documented field changes meaning; new fields may appear at any time."""


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--json`: print one JSON document instead of the text report."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document (fields: docs/operators.md, \"JSON output\").")(fn)


def emit_json(doc: dict[str, Any]) -> None:
    """Print `doc` with the format number first."""
    click.echo(json.dumps({"format": JSON_FORMAT, **doc}, indent=2, sort_keys=True, default=str))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell; trailing blanks trimmed."""
    all_rows = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[c]) for row in all_rows) for c in range(len(header))]
    for row in all_rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def on_terminal() -> bool:
    """True if stderr is a terminal (progress is shown only then)."""
    return sys.stderr.isatty()


@contextmanager
def step(label: str) -> Iterator[Callable[[str], None]]:
    """Progress for a long step: `label … detail` lines on a terminal's stderr, nothing otherwise.
    Yields a function to report a phase as it starts."""
    if not on_terminal():
        yield lambda _phase: None
        return

    def phase(name: str) -> None:
        click.echo(f"\r\033[K{label}: {name}…", err=True, nl=False)
    try:
        yield phase
    finally:
        click.echo("\r\033[K", err=True, nl=False)
