"""`keycouncil key`: fetch and verify a key bundle."""

from __future__ import annotations

from pathlib import Path

import click

from cli.ceremony import roster_option
from cli.member import PathArg
from cli.operator import open_operator, operator_options, timing_options
from cli.output import emit_json, json_option


@click.group()
def key() -> None:
    """Keys held by the council."""


@key.command("bundle")
@roster_option("The roster of the key's current epoch.")
@click.option("--key-id", required=True)
@click.option("-o", "--output", type=PathArg, required=True, help="Key bundle file to write.")
@operator_options
@timing_options
@json_option
def bundle(roster_path: Path, key_id: str, output: Path, operator_dir: Path, passphrase_file: Path | None,
           timeout: float, retry_window: float, as_json: bool) -> None:
    """Fetch KEY's bundle from the members, verify its commit signatures, write it."""
    from council.driver.phases import Timing
    from council.driver.query import fetch_bundle
    from council.storage.files import write_atomic
    from council.storage.folders import load_roster

    b = fetch_bundle(load_roster(roster_path), key_id, open_operator(operator_dir, passphrase_file),
                     Timing(timeout, retry_window))
    write_atomic(output, b.dumps().encode())
    if as_json:
        emit_json({"bundle": {"key_id": b.key_id, "epoch": b.epoch, "threshold": b.threshold,
                              "signatures": len(b.signatures), "verified": True, "output": str(output),
                              "public_key": b.public_key.to_bytes().hex(),
                              "roster_digest": b.commit.roster_digest.hex()}})
        return
    click.echo(f"key {b.key_id!r} epoch {b.epoch}, threshold {b.threshold}, "
               f"{len(b.signatures)} commit signatures verified; written to {output}")
    click.echo(f"public key: {b.public_key.to_bytes().hex()}")
