"""`keycouncil log admit-sealer | revoke-sealer | set-policy`: operator entries of a key's council log.

Thin: each command reads the key's log from the roster's members, signs one entry at its head and
proposes it (council.driver.log_entries), then prints what each member answered. A widening entry
(a sealer admitted, a wider policy) waits for each member's operator (`keycouncil member approve
DIR ID`, or its governance.toml); run the same command again once they approved: the entry is the
same while the log's head is. Narrowing entries (a sealer revoked) take effect at once on every
member that receives them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cli.operator import open_operator, operator_options, timing_options

FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
DIR = click.Path(path_type=Path, exists=True, file_okay=False)


def report_json(report: Any) -> dict[str, Any]:
    """The JSON of an AppendReport: the entry's id, kind, sequence number and who approved it."""
    return {"id": report.entry.id, "kind": report.entry.kind.label, "seq": report.entry.seq,
            "key_id": report.entry.key_id, "accepted": report.accepted, "threshold": report.threshold,
            "approved_by": report.approved_by, "missing": report.missing}


def print_report(report: Any, as_json: bool, exit_unless_accepted: bool = True) -> None:
    """Print an AppendReport (text or JSON); exit 1 when it is not accepted (unless told not to)."""
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2))
    else:
        click.echo(report.summary())
        if not report.accepted and any(a.startswith("pending") for a in report.missing.values()):
            click.echo(f"each member's operator approves it with: keycouncil member approve DIR {report.entry.id}; "
                       "then run this command again")
    if exit_unless_accepted and not report.accepted:
        sys.exit(1)


def log_options(fn: Any) -> Any:
    """--roster FILE --key-id KEY [--json] plus the operator and timing options."""
    fn = timing_options(operator_options(fn))
    fn = click.option("--json", "as_json", is_flag=True, help="Print the entry's id and approvals as JSON.")(fn)
    fn = click.option("--key-id", required=True, help="The key whose log gets the entry.")(fn)
    return click.option("--roster", "roster_path", type=FILE, required=True,
                        help="A roster of the key's current members (where the log is read and proposed).")(fn)


@click.command("admit-sealer")
@log_options
@click.option("--signer", "signer_dir", type=DIR, help="The sealer's folder (`keycouncil signer new`).")
@click.option("--sealer-card", "card_path", type=FILE, help="The sealer's card (`keycouncil signer card`).")
@click.option("--collateral", type=DIR, help="DCAP collateral folder, to read a quote's measurement and TCB status.")
def admit_sealer(roster_path: Path, key_id: str, as_json: bool, operator_dir: Path, passphrase_file: Path | None,
                 timeout: float, retry_window: float, signer_dir: Path | None, card_path: Path | None,
                 collateral: Path | None) -> None:
    """Admit a sealer to announce KEY's dumps (widening: t members approve, each verifying its evidence)."""
    from council.driver.log_entries import append, sealer_admitted
    from council.driver.phases import Timing
    from council.storage.folders import load_roster
    from dumps.sealer import SealingIdentity
    from dumps.sealer_card import SealerCard

    if (signer_dir is None) == (card_path is None):
        raise click.UsageError("give the sealer as --signer DIR or --sealer-card FILE (one of them)")
    if card_path is not None:
        card = SealerCard.load(card_path)
    else:
        assert signer_dir is not None
        card = SealerCard.of(SealingIdentity.load(signer_dir))
    body = sealer_admitted(card.public_key, card.evidence, collateral)
    report = append(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                    Timing(timeout, retry_window), body)
    print_report(report, as_json)


@click.command("revoke-sealer")
@log_options
@click.option("--sealer-key", required=True, help="The sealer's public key (hex).")
@click.option("--reason", default="", help="Why (incident, advisory).")
def revoke_sealer(roster_path: Path, key_id: str, as_json: bool, operator_dir: Path, passphrase_file: Path | None,
                  timeout: float, retry_window: float, sealer_key: str, reason: str) -> None:
    """Revoke a sealer (narrowing: every member that receives it refuses the sealer's dumps at once)."""
    from council.driver.log_entries import append, revoke
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    try:
        key = bytes.fromhex(sealer_key)
    except ValueError:
        raise click.BadParameter("expected 64 hex digits", param_hint="--sealer-key") from None
    report = append(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                    Timing(timeout, retry_window), revoke(key, reason))
    print_report(report, as_json)


@click.command("set-policy")
@log_options
@click.option("--policy", "policy_path", type=FILE, required=True,
              help="The key's whole admission policy (JSON, `keycouncil policy new|allow|deny`).")
def set_policy(roster_path: Path, key_id: str, as_json: bool, operator_dir: Path, passphrase_file: Path | None,
               timeout: float, retry_window: float, policy_path: Path) -> None:
    """Log KEY's admission policy (widening unless it admits a subset of the logged one)."""
    from council.attestation.policy import read_policy
    from council.driver.log_entries import append, policy_change
    from council.driver.phases import Timing
    from council.storage.folders import load_roster

    report = append(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                    Timing(timeout, retry_window), policy_change(read_policy(policy_path)))
    print_report(report, as_json)


def freeze_options(fn: Any) -> Any:
    """The options of `policy freeze|unfreeze` through the log (instead of a policy FILE)."""
    fn = timing_options(fn)
    for option in reversed([
        click.option("--key-id", help="Freeze through KEY's council log (instead of a policy FILE)."),
        click.option("--roster", "roster_path", type=FILE, help="A roster of the key's current members."),
        click.option("--member", "member_dir", type=DIR,
                     help="Author the freeze as this member: in effect on it at once, appended for the rest."),
        click.option("--member-passphrase-file", type=FILE, help="Passphrase of the member folder."),
        click.option("--operator", "operator_dir", type=DIR, envvar="KEYCOUNCIL_OPERATOR",
                     help="Author it as this operator (unfreeze: always; t members approve it)."),
        click.option("--passphrase-file", "--operator-passphrase-file", "passphrase_file", type=FILE,
                     help="Passphrase of the operator folder (else $KEYCOUNCIL_PASSPHRASE)."),
        click.option("--json", "as_json", is_flag=True, help="Print the entry's id and approvals as JSON."),
    ]):
        fn = option(fn)
    return fn


def log_freeze(options: dict[str, Any], body: Any, lift: bool) -> None:
    """Append a freeze (narrowing: the authoring member applies it at once) or an unfreeze (widening)."""
    from council.driver.log_entries import append
    from council.driver.operator import OperatorFolder
    from council.driver.phases import Timing
    from council.log.kinds import Role
    from council.node.folder import MemberFolder
    from council.storage.folders import load_roster, read_passphrase

    if options["roster_path"] is None:
        raise click.UsageError("--key-id needs --roster FILE")
    timing = Timing(options["timeout"], options["retry_window"])
    roster, key_id = load_roster(options["roster_path"]), options["key_id"]
    member_dir = options["member_dir"]
    if member_dir is not None and not lift:
        member = MemberFolder.open(member_dir, read_passphrase(options["member_passphrase_file"], insecure=True))
        carrier = OperatorFolder(member.path, member.name, member.identity)
        report = append(roster, key_id, carrier, timing, body, member.identity.signer, Role.MEMBER)
        here = report.answers.get(member.name, "unreachable")
        if not options["as_json"]:
            click.echo(f"member {member.name}: " + ("frozen at once" if here == "approved" else
                                                     f"NOT frozen ({here})"))
        print_report(report, options["as_json"], exit_unless_accepted=here != "approved")
        return
    if options["operator_dir"] is None:
        raise click.UsageError("give --member DIR (freeze) or --operator DIR" if not lift
                               else "unfreeze is an operator's entry: give --operator DIR")
    report = append(roster, key_id, open_operator(options["operator_dir"], options["passphrase_file"]),
                    timing, body)
    print_report(report, options["as_json"])


COMMANDS = (admit_sealer, revoke_sealer, set_policy)


@click.group("log")
def log() -> None:
    """The council log of a key: entries approved by t members."""


for _command in COMMANDS:
    log.add_command(_command)
