"""Run a click group with keycouncil's error handling: one line on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from council.errors import KeycouncilError


class AboutFile(KeycouncilError):
    """A KeycouncilError with the file it is about in front of its message."""


@contextmanager
def about(path: object) -> Iterator[None]:
    """Name `path` in any KeycouncilError raised inside (the CLI's single point of context)."""
    try:
        yield
    except AboutFile:
        raise
    except KeycouncilError as exc:
        raise AboutFile(f"{path}: {exc.diagnostics()}") from exc


def run_group(group: click.Group, args: list[str] | None = None, defaults: bool = False) -> None:
    """KeycouncilError or OSError → `error: …` and exit 1; usage errors → click's message, exit 2.
    With `defaults`, keycouncil.toml supplies option defaults (cli/config.py)."""
    try:
        extra: dict[str, Any] = {}
        if defaults:
            from cli.config import context_defaults

            extra["default_map"] = context_defaults(group)
        result = group.main(args=args, standalone_mode=False, **extra)
        if isinstance(result, int) and not isinstance(result, bool):
            sys.exit(result)  # ctx.exit(code) comes back as a return value without standalone mode
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeycouncilError as exc:
        click.echo(f"error: {exc.diagnostics()}", err=True)
        sys.exit(1)
    except OSError as exc:  # a file or socket problem at the edge: name it, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)
