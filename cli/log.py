"""`keycouncil log show | export | verify | genesis | register | anchor`: read, save, audit, start and
anchor on chain a key's council log.

Thin: the reading is `council.driver.log_commands`, the checking `council.log.verify_log`, the JSON
`council.log.render` (docs/log-format.md, "JSON rendering" and "CLI"). `approval_lines` is how
every command that appends an entry (`roster propose`, `ceremony reshare`) says who approved it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.member import ExistingFile, PathArg
from cli.operator import open_operator, operator_options, timing_options

if TYPE_CHECKING:
    from council.driver.log_client import AppendReport
    from council.driver.operator import OperatorFolder
    from council.log import LogReport

RosterFile = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group("log")
def log() -> None:
    """The council log of a key: every key-authorization change, approved by t members."""


def reader_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--roster, --key-id, --operator (optional flag, or $KEYCOUNCIL_OPERATOR) and timing."""
    fn = timing_options(fn)
    fn = click.option("--passphrase-file", "--operator-passphrase-file", "passphrase_file", type=ExistingFile,
                      help="Passphrase of the operator folder (else $KEYCOUNCIL_PASSPHRASE).")(fn)
    fn = click.option("--operator", "operator_dir", type=PathArg, envvar="KEYCOUNCIL_OPERATOR", default=None,
                      help="An operator folder of the roster: the TLS identity to read with "
                           "(else $KEYCOUNCIL_OPERATOR).")(fn)
    fn = click.option("--key-id", required=True, help="The key whose log to read.")(fn)
    return click.option("--roster", "roster_path", type=RosterFile, required=True,
                        help="A roster of the key: its members are asked (and those of the rosters its log names).")(fn)


def _operator(operator_dir: Path | None, passphrase_file: Path | None) -> OperatorFolder:
    if operator_dir is None:
        raise click.UsageError("the members answer only parties of their roster over mutual TLS: give "
                               "--operator DIR (an operator folder of the roster) or set KEYCOUNCIL_OPERATOR")
    return open_operator(operator_dir, passphrase_file)


@log.command("show")
@reader_options
@click.option("--from", "start", type=click.IntRange(min=0), default=0, show_default=True,
              help="First sequence number to show (the state is always that of the whole log).")
@click.option("--json", "as_json", is_flag=True, help="The JSON of docs/log-format.md, \"JSON rendering\".")
def show(roster_path: Path, key_id: str, operator_dir: Path | None, passphrase_file: Path | None,
         timeout: float, retry_window: float, start: int, as_json: bool) -> None:
    """Show KEY's log as its members hold it: seq, kind, author, approvals, accepted, class."""
    from council.driver.log_commands import read_log
    from council.driver.phases import Timing
    from council.log import show_log
    from council.storage.folders import load_roster

    _, records = read_log([load_roster(roster_path)], key_id, _operator(operator_dir, passphrase_file),
                          Timing(timeout, retry_window))
    shown = show_log(key_id, records, start)
    if as_json:
        click.echo(json.dumps(shown, sort_keys=True, indent=2))
        return
    for line in show_lines(shown):
        click.echo(line)


def show_lines(shown: dict[str, Any]) -> list[str]:
    """The `log show` table and a summary of the state, from `show_log`'s JSON."""
    s = shown["state"]
    head = (f"log of key {shown['key_id']}: {s['next_seq']} entries, head {s['head'][:16]}…, epoch {s['epoch']}, "
            f"threshold {s['threshold']} of {len(s['members'])} ({', '.join(s['members'])})")
    rows = [("seq", "kind", "author", "approvals", "accepted", "class")]
    for e in shown["entries"]:
        author = f"{e['author'].get('name') or e['author']['public_key'][:16] + '…'} ({e['author']['role']})"
        approvals = ", ".join(a["member"] or a["member_key"][:12] + "…" for a in e["approvals"]) or "-"
        rows.append((str(e["seq"]), e["kind"], author, approvals, "yes" if e["accepted"] else "NO",
                     e["class"] or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [head] + ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    pending = s["pending_roster"]
    if pending:
        out.append(f"accepted next roster (entry {pending['seq']}): {pending['roster_digest'][:16]}…, "
                   f"threshold {pending['threshold']}: a re-share may deal to it")
    if s["retired"]:
        out.append(f"key retired at entry {s['retired']['seq']}")
    if s["successor_key_id"]:
        out.append(f"superseded by key {s['successor_key_id']}")
    return out


@log.command("genesis")
@click.option("--roster", "roster_path", type=RosterFile, required=True, help="The key's current roster.")
@click.option("--key-id", required=True, help="A key committed before the council log existed.")
@operator_options
@timing_options
def genesis(roster_path: Path, key_id: str, operator_dir: Path, passphrase_file: Path | None, timeout: float,
            retry_window: float) -> None:
    """Start KEY's log at its current epoch (a key made before the log: members re-share only keys
    whose log is started). Each member approves only if the entry matches the epoch it stored."""
    from council.driver.ceremony_log import start_log_of_existing
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    report = start_log_of_existing(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                                   Timing(timeout, retry_window))
    for line in approval_lines(report):
        click.echo(line)
    if not report.accepted:
        sys.exit(1)


@log.command("export")
@reader_options
@click.option("-o", "--output", type=PathArg, required=True, help="File to write (never overwritten).")
def export(roster_path: Path, key_id: str, operator_dir: Path | None, passphrase_file: Path | None,
           timeout: float, retry_window: float, output: Path) -> None:
    """Write KEY's log (the longest copy that verifies) to an export file for `log verify`."""
    from council.driver.log_commands import read_log
    from council.driver.phases import Timing
    from council.log import export_log
    from council.storage.folders import load_roster

    if output.exists():
        raise click.BadParameter(f"{output} exists: log export never overwrites a file", param_hint="-o")
    state, records = read_log([load_roster(roster_path)], key_id, _operator(operator_dir, passphrase_file),
                              Timing(timeout, retry_window))
    _write_new(output, export_log(key_id, records))
    click.echo(f"{len(records)} entries of key {key_id} (head entry {state.next_seq - 1}, {state.head.hex()}) "
               f"written to {output}")


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (refusing an existing one, even if it appeared meanwhile), write, fsync."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise click.BadParameter(f"{path} exists: log export never overwrites a file", param_hint="-o") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@log.command("verify")
@click.argument("file", type=ExistingFile, required=False)
@click.option("--json", "as_json", is_flag=True, help="The report as JSON (docs/log-format.md).")
@click.option("--chain-rpc", default=None, metavar="URL|@FILE",
              help="Also compare the log with the entries anchored on this chain (with --contract); "
                   "without FILE, rebuild the log from the chain alone (with --key-id).")
@click.option("--contract", default=None, metavar="ADDR", help="The CouncilAnchor contract (with --chain-rpc).")
@click.option("--key-id", default=None, help="Without FILE: the key whose log to rebuild from the chain.")
@click.option("--from-block", type=click.IntRange(min=0), default=0, show_default=True,
              help="Without FILE: the first block to read events from (the contract's deployment).")
def verify(file: Path | None, as_json: bool, chain_rpc: str | None, contract: str | None, key_id: str | None,
           from_block: int) -> None:
    """Check an exported log: chain, signatures, quorums, who may author which kind. Exit 1 on any
    failure, naming the sequence number and the rule (and who double-signed, for a fork); with
    --chain-rpc also exit 1 if the anchored entries differ from the log or the log hides some.
    Without FILE (--chain-rpc, --contract, --key-id): rebuild the log from the chain's events
    alone and check every anchor's council signature, the chain of heads and every rule of the log
    but the quorum (the council's threshold signature replaces it)."""
    from council.log import parse_export, report_to_json, verify_log

    if (chain_rpc is None) != (contract is None):
        raise click.UsageError("--chain-rpc and --contract go together")
    if file is None:
        if chain_rpc is None or contract is None or key_id is None:
            raise click.UsageError("give FILE, or --chain-rpc, --contract and --key-id to rebuild the log from the chain")
        from cli.log_chain import verify_from_chain

        if not verify_from_chain(key_id, chain_rpc, contract, from_block, as_json):
            sys.exit(1)
        return
    exported = parse_export(file.read_bytes(), str(file))
    if key_id is not None and key_id != exported.key_id:
        raise click.UsageError(f"--key-id {key_id!r}: {file} holds the log of key {exported.key_id!r}")
    report = verify_log(exported.records, exported.key_id)
    if as_json:
        click.echo(json.dumps(report_to_json(report), sort_keys=True, indent=2))
    else:
        for line in verify_lines(report, len(exported.records)):
            click.echo(line)
    chain_ok = True
    if chain_rpc is not None and contract is not None:
        from cli.log_chain import verify_against_chain

        chain_ok = verify_against_chain(exported.records, exported.key_id, chain_rpc, contract)
    if not report.ok or not chain_ok:
        sys.exit(1)


def verify_lines(report: LogReport, count: int) -> list[str]:
    """What `log verify` prints."""
    head = (f"head entry {report.state.next_seq - 1} {report.state.head.hex()}" if report.verified
            else "no entry verified")
    if report.failure is None:
        return [f"log of key {report.key_id}: OK, {report.verified} entries verified (chain, signatures, "
                f"quorums, authors); {head}",
                "  a log cut short also verifies: compare the head with a member's (keycouncil log show)"]
    out = [f"log of key {report.key_id}: FAILED at {report.failure.message}",
           f"  {report.verified} of {count} records verified before it; {head}"]
    if report.fork is not None:
        out.append(f"  fork at entry {report.fork.seq}: entries " + ", ".join(d.hex() for d in report.fork.digests))
        for d in report.fork.double_approvers:
            out.append(f"  double-signed by {d.member_name} ({d.member_key.hex()}): "
                       f"{d.first_digest.hex()} signature {d.first.signature.hex()}; "
                       f"{d.second_digest.hex()} signature {d.second.signature.hex()}")
        if not report.fork.double_approvers:
            out.append("  no member's approvals of two rival entries both verify")
    return out


def approval_lines(report: AppendReport) -> list[str]:
    """Who approved an entry, whose approvals are missing and why, and what to do next."""
    e = report.entry
    have = len(report.approved_by)
    state = (f"ACCEPTED with {have} approvals ({report.threshold} needed)" if report.accepted
             else f"NOT accepted, {have} of {report.threshold} approvals needed")
    out = [f"{e.kind.label} entry {e.seq} of key {e.key_id}: {state}",
           f"  id: {e.id}",
           f"  approved by: {', '.join(report.approved_by) or 'nobody yet'}"]
    if not report.accepted:
        out += [f"  missing: {name}: {why}" for name, why in report.missing.items()]
        if any(why.startswith("pending") for why in report.missing.values()):
            out.append(f"  next: each pending member's operator checks `keycouncil member pending DIR` and runs "
                       f"`keycouncil member approve DIR {e.id}`; then propose again (same entry while the "
                       "head does not move)")
    return out


def report_json(report: AppendReport) -> dict[str, Any]:
    """An appended entry's report as JSON: id, seq, accepted, approvals by name, what is missing."""
    from council.log import entry_to_json

    return {"id": report.entry.id, "seq": report.entry.seq, "key_id": report.entry.key_id,
            "kind": report.entry.kind.label, "accepted": report.accepted, "threshold": report.threshold,
            "approved": report.approved_by, "missing": report.missing, "answers": dict(sorted(report.answers.items())),
            "entry": entry_to_json(report.entry)}


def _attach_entry_commands() -> None:
    """`log admit-sealer | revoke-sealer | set-policy` (cli/log_entries.py) join this group."""
    from cli.log_chain import COMMANDS as CHAIN_COMMANDS
    from cli.log_entries import COMMANDS as ENTRY_COMMANDS

    for command in (*ENTRY_COMMANDS, *CHAIN_COMMANDS):
        log.add_command(command)


_attach_entry_commands()
