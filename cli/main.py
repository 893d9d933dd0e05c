"""Entry point of the `keycouncil` command; each command group lives in its own module."""

from __future__ import annotations

import importlib

import click

from cli.run import run_group

# command name -> (module, attribute). Only the group a command line names is imported, so
# `keycouncil dump seal` does not pay for gRPC and the ceremony code (decisions.md: CLI start-up).
COMMANDS = {
    "demo": ("cli.demo", "demo"), "member": ("cli.member", "member"),
    "operator": ("cli.operator", "operator"), "roster": ("cli.roster", "roster"),
    "ceremony": ("cli.ceremony", "ceremony"), "key": ("cli.key", "key"),
    "council": ("cli.council_status", "council"), "dump": ("cli.dump", "dump"),
    "signer": ("cli.dump", "signer"), "recover": ("cli.recover", "recover"),
    "attest": ("cli.attest", "attest"), "policy": ("cli.attest", "policy"),
    "log": ("cli.log", "log"), "auditor": ("cli.member_status", "auditor"),
}
# command name -> the first paragraph of its group's help, so that `keycouncil --help` lists the
# groups without importing every one of them (about 0.7 s of CPU; decision 114). A test holds
# each to the group's own help text.
SUMMARIES = {
    "demo": "Run a council of member processes on loopback: DKG, sealing, re-share, full shutdown, "
            "recovery of the newest state; exit 1 unless it comes back byte for byte.",
    "member": "A council member's share node.",
    "operator": "Operators start ceremonies and query the council.",
    "roster": "Rosters: who the members are, the threshold, the operators.",
    "ceremony": "Key ceremonies, driven by an operator of the roster.",
    "key": "Keys held by the council.",
    "council": "The council as a whole.",
    "dump": "Encrypted state dumps: seal, inspect, verify, publish, list, open (dev).",
    "signer": "Sealing identities (the signing key of a sealing node).",
    "recover": "Recover the newest authentic dump of APP: from members (networked) or from backups (--offline).",
    "attest": "Verify Intel SGX/TDX DCAP quotes offline.",
    "policy": "Edit the TEE admission policy file (atomic writes; re-read on every decision).",
    "log": "The council log of a key: every key-authorization change, approved by t members.",
    "auditor": "A read-only credential for `council status` and monitoring.",
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported when named (help lists them from SUMMARIES)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            self.add_command(_load(name), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`: groups not imported yet are listed from SUMMARIES."""
        listed = {name: self.commands.get(name) or click.Command(name, help=SUMMARIES[name])
                  for name in self.list_commands(ctx)}
        click.Group(self.name, commands=listed).format_commands(ctx, formatter)


def _load(name: str) -> click.Command:
    module, attribute = COMMANDS[name]
    command: click.Command = getattr(importlib.import_module(module), attribute)
    if name == "member":
        from cli import member_recovery, member_status

        assert isinstance(command, click.Group)
        for sub in member_recovery.COMMANDS + member_status.COMMANDS:
            command.add_command(sub)
    return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="keycouncil")
def cli() -> None:
    """keycouncil: threshold custody of TEE state-dump keys."""


def _register() -> None:
    """Attach every command group now (tests and tools that walk `cli.commands`)."""
    for name in COMMANDS:
        cli.get_command(click.Context(cli), name)


def main() -> None:
    """Run the CLI; every KeycouncilError becomes one line on stderr and exit code 1."""
    run_group(cli, defaults=True)
