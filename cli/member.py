"""`keycouncil member`: create a member's data folder, serve it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.config import MEMBER_FOLDER_ENV, MEMBER_PASSPHRASE_FILE_ENV
from cli.run import run_group  # noqa: F401  (re-exported for python -m council.node)

PathArg = click.Path(path_type=Path)
ExistingFile = click.Path(path_type=Path, exists=True, dir_okay=False)


def passphrase_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--passphrase-file and --insecure-no-passphrase (KEYCOUNCIL_PASSPHRASE also works)."""
    fn = click.option("--insecure-no-passphrase", "insecure", is_flag=True,
                      help="Development only: store secrets without a passphrase.")(fn)
    return click.option("--passphrase-file", type=ExistingFile, envvar=MEMBER_PASSPHRASE_FILE_ENV,
                        help="File holding the folder's passphrase (else $KEYCOUNCIL_PASSPHRASE) "
                        f"[env {MEMBER_PASSPHRASE_FILE_ENV}].")(fn)


@click.group()
def member() -> None:
    """A council member's share node."""


@member.command("init")
@click.argument("folder", type=PathArg)
@click.option("--name", required=True, help="Member name, unique in the roster.")
@click.option("--listen", required=True, help="HOST:PORT the node serves on (goes on the card).")
@passphrase_options
def init(folder: Path, name: str, listen: str, passphrase_file: Path | None, insecure: bool) -> None:
    """Create FOLDER: identity keys, TLS certificate, sealed secrets, public member card."""
    from council.node.folder import CARD_NAME, INSECURE_WARNING, MemberFolder
    from council.storage.folders import read_passphrase

    passphrase = read_passphrase(passphrase_file, insecure)
    MemberFolder.init(folder, name, listen, passphrase)
    if passphrase is None:
        click.echo(f"warning: {INSECURE_WARNING}", err=True)
    click.echo(f"member {name!r} created in {folder}; hand {folder / CARD_NAME} to the roster author")


@member.command("serve")
@click.argument("folder", type=PathArg, envvar=MEMBER_FOLDER_ENV)
@click.option("--roster", "roster_path", type=ExistingFile,
              help="The council's roster (kept in FOLDER; later starts may omit it).")
@click.option("--listen", default=None, help="Override the listen address of member.json.")
@click.option("--metrics", default=None, metavar="HOST:PORT",
              help="Serve Prometheus /metrics and /healthz over plain HTTP on HOST:PORT (use 127.0.0.1; "
              "else \"metrics\" in member.json; off by default).")
@click.option("--chain-rpc", default=None, metavar="URL|@FILE",
              help="JSON-RPC endpoint of the chain anchoring the council log: act on a widening entry only "
              "once it is anchored (else [chain] rpc in FOLDER/member.toml; docs/chain.md).")
@click.option("--contract", default=None, metavar="ADDR", help="The CouncilAnchor contract (with --chain-rpc).")
@click.option("--confirmations", type=click.IntRange(min=1), default=None,
              help="Blocks an anchor must be deep before the member acts on it (default 1).")
@click.option("--chain-account", type=ExistingFile, default=None,
              help="Account key file (0600, 64 hex digits) to submit anchors with; without it the member "
              "only waits for anchors others submit.")
@passphrase_options
def serve(folder: Path, roster_path: Path | None, listen: str | None, metrics: str | None,
          chain_rpc: str | None, contract: str | None, confirmations: int | None, chain_account: Path | None,
          passphrase_file: Path | None, insecure: bool) -> None:
    """Serve the member in FOLDER until SIGTERM."""
    from council.node.folder import CONFIG_NAME, INSECURE_WARNING
    from council.node.runtime import open_member, served_roster
    from council.node.server import StopSignal, serve_forever, settle_heap, start
    from council.storage.folders import read_json, read_passphrase

    stop = StopSignal.install()  # before anything starts: no window in which SIGTERM kills outright
    passphrase = read_passphrase(passphrase_file, insecure=True)
    node = open_member(folder, served_roster(folder, roster_path), passphrase)
    from council.node.chain_config import load_chain_config

    chain = load_chain_config(folder, chain_rpc, contract, confirmations, chain_account)
    if chain is not None:
        from council.node.chain_member import attach_chain

        attach_chain(node, chain)
    if node.folder.vault.insecure:
        click.echo(f"warning: {INSECURE_WARNING}", err=True)
    address = metrics or read_json(folder / CONFIG_NAME, "member config").get("metrics")
    collected, frozen = settle_heap()
    node.log.event("heap-settled", collected=collected, frozen=frozen)
    if not address:
        serve_forever(start(node, listen or node.folder.listen), stop)
        return
    from council.node.metrics import MemberMetrics, serve_metrics

    member_metrics = MemberMetrics(node)
    http = serve_metrics(member_metrics, str(address))
    node.log.event("metrics-serving", address=str(address), port=http.port)
    try:
        serve_forever(start(node, listen or node.folder.listen, metrics=member_metrics), stop)
    finally:
        http.stop()
