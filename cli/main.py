"""Entry point of the `keycouncil` command; each command group lives in its own module."""

from __future__ import annotations

import click

from cli.run import run_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="keycouncil")
def cli() -> None:
    """keycouncil: threshold custody of TEE state-dump keys."""


def _register() -> None:
    """Attach every command group; imported lazily so one broken group names itself."""
    from cli import (
        attest,
        ceremony,
        council_status,
        demo,
        key,
        member,
        member_recovery,
        member_status,
        operator,
        roster,
    )
    from cli import dump as dump_cli
    from cli import recover as recover_cli

    for command in member_recovery.COMMANDS + member_status.COMMANDS:
        member.member.add_command(command)
    for command in (demo.demo, member.member, operator.operator, roster.roster, ceremony.ceremony,
                    key.key, council_status.council, dump_cli.dump, dump_cli.signer,
                    recover_cli.recover, attest.attest, attest.policy, member_status.auditor):
        cli.add_command(command)


def main() -> None:
    """Run the CLI; every KeycouncilError becomes one line on stderr and exit code 1."""
    _register()
    run_group(cli, defaults=True)
