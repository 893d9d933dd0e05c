"""`keycouncil operator`: an operator's signing key and client TLS identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.member import PathArg, passphrase_options
from council.driver.operator import OperatorFolder


@click.group()
def operator() -> None:
    """Operators start ceremonies and query the council."""


@operator.command("new")
@click.argument("folder", type=PathArg)
@click.option("--name", required=True, help="Operator name, unique in the roster.")
@passphrase_options
def new(folder: Path, name: str, passphrase_file: Path | None, insecure: bool) -> None:
    """Create FOLDER with a signing key, a client TLS certificate and operator-card.json."""
    from council.driver.operator import CARD_NAME
    from council.node.folder import INSECURE_WARNING, read_passphrase

    passphrase = read_passphrase(passphrase_file, insecure)
    OperatorFolder.init(folder, name, passphrase)
    if passphrase is None:
        click.echo(f"warning: {INSECURE_WARNING}", err=True)
    click.echo(f"operator {name!r} created in {folder}; put {folder / CARD_NAME} in the roster")


def open_operator(folder: Path, passphrase_file: Path | None) -> OperatorFolder:
    """Open an operator folder (the passphrase is needed only if it was sealed with one)."""
    from council.storage.folders import read_passphrase

    return OperatorFolder.open(folder, read_passphrase(passphrase_file, insecure=True))


def operator_options(fn: Callable[..., Any], required: bool = True) -> Callable[..., Any]:
    """--operator DIR (or $KEYCOUNCIL_OPERATOR) and its passphrase options."""
    from cli.config import OPERATOR_ENV, OPERATOR_PASSPHRASE_FILE_ENV

    fn = click.option("--passphrase-file", "--operator-passphrase-file", "passphrase_file",
                      type=click.Path(path_type=Path, exists=True, dir_okay=False),
                      envvar=OPERATOR_PASSPHRASE_FILE_ENV,
                      help="Passphrase of the operator folder (else $KEYCOUNCIL_PASSPHRASE) "
                      f"[env {OPERATOR_PASSPHRASE_FILE_ENV}].")(fn)
    return click.option("--operator", "operator_dir", type=PathArg, required=required, envvar=OPERATOR_ENV,
                        help=f"The operator folder (client identity) [env {OPERATOR_ENV}].")(fn)


def optional_operator_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """operator_options with --operator optional (a command that takes another credential too)."""
    return operator_options(fn, required=False)


def timing_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--timeout and --retry-window."""
    fn = click.option("--retry-window", default=3.0, show_default=True,
                      help="Seconds to keep retrying an unreachable member.")(fn)
    return click.option("--timeout", default=30.0, show_default=True, help="Seconds per call.")(fn)
