"""`keycouncil log register | anchor`: put a key's council log on chain (docs/chain.md).

Thin: the work is `council.driver.log_anchor`. The submitting account's key is read from a 0600
file (`--account`), never from the command line or the environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.member import ExistingFile
from cli.operator import open_operator, operator_options, timing_options

RosterFile = click.Path(path_type=Path, exists=True, dir_okay=False)


def chain_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--chain-rpc, --contract, --account."""
    fn = click.option("--account", "account", type=ExistingFile, required=True,
                      help="Account key file (mode 0600, 64 hex digits) that pays for the transaction.")(fn)
    fn = click.option("--contract", required=True, metavar="ADDR", help="The CouncilAnchor contract address.")(fn)
    return click.option("--chain-rpc", required=True, metavar="URL|@FILE",
                        help="JSON-RPC endpoint of the chain (@FILE: read it from FILE, for a URL with an API key).")(fn)


def open_chain(rpc: str, contract: str, account: Path | None) -> Any:
    """A ChainClient for the contract at `rpc`, with the account's signer if given."""
    from web3 import HTTPProvider, Web3

    from council.chain.account import load_signer
    from council.chain.client import ChainClient
    from council.errors import ChainError
    from council.node.chain_config import rpc_from, scrub, shown_rpc

    signer = load_signer(account) if account is not None else None
    url = rpc_from(rpc)
    try:
        return ChainClient(Web3(HTTPProvider(url, request_kwargs={"timeout": 30})), contract, signer)
    except Exception as exc:  # noqa: BLE001  the chain's boundary: one message, no traceback
        raise ChainError(f"chain {shown_rpc(url)}: cannot read contract {contract} "
                         f"({type(exc).__name__}: {scrub(str(exc), url)})") from None


@click.command("register")
@click.option("--roster", "roster_path", type=RosterFile, required=True, help="The key's current roster.")
@click.option("--key-id", required=True, help="The key whose signing key to register.")
@chain_options
@operator_options
@timing_options
def register(roster_path: Path, key_id: str, chain_rpc: str, contract: str, account: Path, operator_dir: Path,
             passphrase_file: Path | None, timeout: float, retry_window: float) -> None:
    """Register KEY's BN254 signing key with the contract, proving possession with t members'
    signatures, at the empty log (so that `log anchor` puts every entry on chain)."""
    from council.driver.log_anchor import register_key
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    reg = register_key(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                       Timing(timeout, retry_window), open_chain(chain_rpc, contract, account))
    click.echo(reg.summary())


@click.command("anchor")
@click.option("--roster", "roster_path", type=RosterFile, required=True, help="The key's current roster.")
@click.option("--key-id", required=True, help="The key whose log to anchor.")
@chain_options
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True,
              help="Blocks each anchor must be deep before the next one is sent.")
@click.option("--chain-timeout", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds to wait for each anchor's confirmations.")
@operator_options
@timing_options
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def anchor(roster_path: Path, key_id: str, chain_rpc: str, contract: str, account: Path, confirmations: int,
           chain_timeout: float, operator_dir: Path, passphrase_file: Path | None, timeout: float,
           retry_window: float, as_json: bool) -> None:
    """Anchor KEY's log up to its head: t members' partial signatures (from the approvals, or asked
    for) are combined and submitted, in batches of at most 16 KiB of entries."""
    from council.driver.log_anchor import anchor_log
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    report = anchor_log(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                        Timing(timeout, retry_window), open_chain(chain_rpc, contract, account),
                        confirmations, chain_timeout)
    if as_json:
        click.echo(json.dumps({"key_id": key_id, "log_length": report.log_length,
                               "chain_seq_before": report.chain_seq_before,
                               "steps": [{"from": s.seq_from, "to": s.seq_to, "signers": list(s.signers),
                                          "tx_hash": s.tx_hash or None, "gas_used": s.gas_used,
                                          "already_anchored": s.already_anchored, "seconds": round(s.seconds, 3)}
                                         for s in report.steps]}, sort_keys=True, indent=2))
        return
    for line in report.lines():
        click.echo(line)


def verify_against_chain(records: Any, key_id: str, chain_rpc: str, contract: str) -> bool:
    """`log verify --chain-rpc`: print how the log compares with the chain; True if it agrees."""
    from council.chain.audit import chain_log, compare

    comparison = compare(key_id, records, chain_log(open_chain(chain_rpc, contract, None), key_id))
    for line in comparison.lines():
        click.echo(line)
    return comparison.ok


def verify_from_chain(key_id: str, chain_rpc: str, contract: str, from_block: int, as_json: bool) -> bool:
    """`log verify --chain-rpc --contract --key-id` without FILE: the log rebuilt from the chain
    alone and checked (council.chain.audit.audit_chain); True if every check passes."""
    from council.chain.audit import audit_chain

    audit = audit_chain(open_chain(chain_rpc, contract, None), key_id, from_block)
    if as_json:
        f = audit.failure
        click.echo(json.dumps({
            "key_id": key_id, "contract": audit.contract, "chain_id": audit.chain_id, "ok": audit.ok,
            "signing_public_key": audit.pubkey.hex(), "verified": len(audit.entries),
            "head": audit.state.head.hex() if audit.entries else None,
            "entries": [{"seq": e.seq, "kind": e.kind.label, "id": e.id} for e in audit.entries],
            "anchors": [{"seq": a.seq, "from": a.seq_from, "block": a.block_number, "epoch": a.epoch,
                         "roster_digest": a.roster_digest.hex()} for a in audit.anchors],
            "failure": None if f is None else {"seq": f.seq, "rule": f.rule, "detail": f.detail},
        }, sort_keys=True, indent=2))
    else:
        for line in audit.lines():
            click.echo(line)
    return audit.ok


COMMANDS = (register, anchor)
