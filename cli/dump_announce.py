"""`keycouncil dump announce` and `dump seal --announce`: dump-announced entries in the council log.

The entry (app, version, dump digest, previous digest) is signed by the dump's own sealer, whose key
must be admitted in the key's log (`keycouncil log admit-sealer`); the members check it and approve
it without their operators (it only records a fact), and from then on it is the version `recover`
must take. The entry travels over an operator's TLS identity (`--operator`, the carrier: it cannot
alter what the sealer signed). docs/app-guide.md, "Announcing dumps".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
DIR = click.Path(path_type=Path, exists=True, file_okay=False)


def announce_options(required: bool) -> Any:
    """--roster FILE, --operator DIR (the carrier) and its passphrase; --announce itself elsewhere."""
    def wrap(fn: Any) -> Any:
        fn = click.option("--passphrase-file", "--operator-passphrase-file", "operator_passphrase", type=FILE,
                          help="Passphrase of the operator folder (else $KEYCOUNCIL_PASSPHRASE).")(fn)
        fn = click.option("--operator", "operator_dir", type=DIR, envvar="KEYCOUNCIL_OPERATOR", required=required,
                          help="An operator folder whose TLS identity carries the entry to the members.")(fn)
        return click.option("--roster", "roster_path", type=FILE, required=required,
                            help="A roster of the key's current members.")(fn)
    return wrap


def announce(file: Path, signer_dir: Path, roster_path: Path | None, operator_dir: Path | None,
             operator_passphrase: Path | None) -> None:
    """Announce the dump FILE (verified first) in its key's log, signed by the sealer in `signer_dir`."""
    from cli.operator import open_operator
    from council.driver.announce import announce_dump
    from council.driver.phases import Timing
    from council.errors import PolicyRefused
    from council.storage.folders import load_roster
    from dumps.sealer import SealingIdentity
    from dumps.verify import verify_dump

    if roster_path is None or operator_dir is None:
        raise click.UsageError("announcing needs --roster FILE and --operator DIR")
    dump = verify_dump(file)
    sealer = SealingIdentity.load(signer_dir)
    h = dump.header
    if h.sealer_public_key != sealer.public_key:
        raise PolicyRefused(f"{file} is sealed by key {h.sealer_public_key.hex()[:16]}…, the signer in {signer_dir} "
                            f"is {sealer.public_key.hex()[:16]}…: only a dump's own sealer announces it")
    report = announce_dump(load_roster(roster_path), h.key_id, sealer, open_operator(operator_dir, operator_passphrase),
                           Timing(10.0, 2.0), h.app_id, h.dump_version, dump.digest, h.previous_digest)
    click.echo(f"announced {h.app_id} version {h.dump_version} (digest {dump.digest.hex()}) in key {h.key_id}'s "
               f"council log: entry {report.entry.seq}" + ("" if report.answers else " (already announced)"))


@click.command("announce")
@click.argument("file", type=FILE)
@click.option("--signer", "signer_dir", type=DIR, required=True, help="The dump's sealer folder (its key signs).")
@announce_options(required=True)
def dump_announce(file: Path, signer_dir: Path, roster_path: Path, operator_dir: Path,
                  operator_passphrase: Path | None) -> None:
    """Announce an existing dump FILE as its app's newest version in the key's council log."""
    announce(file, signer_dir, roster_path, operator_dir, operator_passphrase)
