"""`keycouncil dump …` and `keycouncil signer …`: thin click wrappers over the `dumps` package.

Errors are KeycouncilError subclasses raised by `dumps`; cli/main.py turns each into one line on
stderr and exit code 1. Simulated (INSECURE) sealers are flagged in every output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.dump_announce import announce, announce_options, dump_announce
from cli.output import emit_json, json_option
from cli.progress import progress
from cli.run import about
from council.errors import DecodeError, StorageError
from dumps.atomic import ensure_absent
from dumps.errors import DumpExists
from dumps.format import DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE
from dumps.seal import seal_dump
from dumps.sealer import KEY_FILE, SealingIdentity

if TYPE_CHECKING:  # the other commands' modules are imported when they run: `dump seal` starts faster
    from council.crypto.group import Scalar
    from dumps.evidence import EvidenceChecker
    from dumps.seal import SealedDump
    from dumps.target import SealTarget

INSECURE = "WARNING: INSECURE simulated sealer evidence: no TEE attests this signing key"
FILE = click.Path(path_type=Path, dir_okay=False)


@click.group()
def dump() -> None:
    """Encrypted state dumps: seal, inspect, verify, publish, list, open (dev)."""


dump.add_command(dump_announce)


@click.group()
def signer() -> None:
    """Sealing identities (the signing key of a sealing node)."""


@signer.command("new")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--simulated", is_flag=True, help="Simulated evidence (INSECURE; dev and tests).")
@click.option("--tee", type=click.Choice(["tdx", "sgx"]),
              help="Ask the platform for a DCAP quote: tdx via configfs-tsm, sgx via Gramine.")
@click.option("--tsm-root", type=click.Path(path_type=Path, file_okay=False),
              default=lambda: str(_tee_roots()[0]), show_default="/sys/kernel/config/tsm/report",
              help="configfs-tsm report folder (override only for tests).")
@click.option("--attestation-root", type=click.Path(path_type=Path, file_okay=False),
              default=lambda: str(_tee_roots()[1]), show_default="/dev/attestation",
              help="Gramine attestation folder (override only for tests).")
def signer_new(folder: Path, simulated: bool, tee: str | None, tsm_root: Path,
               attestation_root: Path) -> None:
    """Create a signing key and its evidence in FOLDER (key file 0600)."""
    if simulated == (tee is not None):
        raise click.UsageError("give --tee tdx|sgx (inside a TEE) or --simulated (INSECURE), not both")
    if tee is not None:
        _signer_new_tee(folder, tee, tsm_root, attestation_root)
        return
    identity = SealingIdentity.simulated()
    identity.save(folder)
    click.echo(f"signer public key: {identity.public_key.hex()}")
    click.echo(f"evidence: simulated (INSECURE) in {folder}")
    click.echo(INSECURE, err=True)


def _tee_roots() -> tuple[Path, Path]:
    """The platforms' folders, imported only when `signer new` runs: dumps.tee pulls in the whole
    attestation package, which `dump seal` and the other commands do not need at start-up."""
    from dumps.tee.configfs_tsm import TSM_REPORT_ROOT
    from dumps.tee.gramine import ATTESTATION_ROOT

    return TSM_REPORT_ROOT, ATTESTATION_ROOT


def _signer_new_tee(folder: Path, tee: str, tsm_root: Path, attestation_root: Path) -> None:
    """`signer new --tee`: a fresh key, the platform's quote over its binding, both saved."""
    from council.attestation.quote import TdReport
    from dumps.tee.identity import new_tee_identity
    from dumps.tee.provider import provider_for

    if (folder / KEY_FILE).exists():  # before asking the platform for a quote in vain
        raise DumpExists(f"{folder / KEY_FILE}: a signing key already exists; refusing to overwrite")
    provider = provider_for(tee, tsm_root, attestation_root)
    identity, quote = new_tee_identity(provider)
    identity.save(folder)
    click.echo(f"signer public key: {identity.public_key.hex()}")
    click.echo(f"evidence: {identity.evidence.type} quote v{quote.version}, "
               f"{len(identity.evidence.data)} bytes from {provider.interface}, in {folder}")
    body = quote.body
    if isinstance(body, TdReport):
        click.echo(f"measurement: mrtd {body.mr_td.hex()}")
        for i, rtmr in enumerate(body.rtmrs):
            click.echo(f"             rtmr{i} {rtmr.hex()}")
    else:
        click.echo(f"measurement: mrenclave {body.mr_enclave.hex()} mrsigner {body.mr_signer.hex()}")


@dump.command("seal")
@click.option("--bundle", "bundle_path", type=FILE, required=True, help="Council key bundle (JSON).")
@click.option("--signer", "signer_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="Signer folder (`signer new`).")
@click.option("--app", "app_id", required=True, help="Application id.")
@click.option("--version", "dump_version", type=click.IntRange(min=1), required=True)
@click.option("--previous", default="auto", show_default=True,
              help="Previous dump FILE, 'auto' (newest of APP in the output folder) or 'none'.")
@click.option("--chunk-size", type=click.IntRange(MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
              default=DEFAULT_CHUNK_SIZE, show_default=True)
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("-o", "--out", type=FILE, required=True, help="New dump file (never overwritten).")
@click.option("--announce", "announce_it", is_flag=True,
              help="Then announce it in the key's council log (needs --roster and --operator).")
@announce_options(required=False)
def dump_seal(bundle_path: Path, signer_dir: Path, app_id: str, dump_version: int, previous: str,
              chunk_size: int, source: Path, out: Path, announce_it: bool, roster_path: Path | None,
              operator_dir: Path | None, operator_passphrase: Path | None) -> None:
    """Seal SOURCE ('-' for stdin) to the council key of the bundle, signed by the signer
    (OUT's folder is created if needed: it is the store)."""
    if announce_it and (roster_path is None or operator_dir is None):
        raise click.UsageError("--announce needs --roster FILE and --operator DIR")
    ensure_absent(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    target = _target(bundle_path)
    identity = SealingIdentity.load(signer_dir)
    previous_digest = _previous_digest(previous, out, app_id, dump_version, identity)
    size = None if str(source) == "-" else source.stat().st_size
    with _progress(size, "sealing") as progress:
        sealed = seal_dump(sys.stdin.buffer if size is None else source, out, target=target,
                           sealer=identity, app_id=app_id, dump_version=dump_version,
                           previous_digest=previous_digest, chunk_size=chunk_size,
                           progress=progress)
    _print_sealed(sealed, out, identity)
    if announce_it:
        announce(out, signer_dir, roster_path, operator_dir, operator_passphrase)


@signer.command("card")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("-o", "--out", type=FILE, required=True, help="The sealer card (JSON; public, never overwritten).")
def signer_card(folder: Path, out: Path) -> None:
    """Write the public sealer card of FOLDER, for `keycouncil log admit-sealer --sealer-card`."""
    import json

    from dumps.atomic import write_file_atomic
    from dumps.sealer_card import SealerCard

    ensure_absent(out)
    identity = SealingIdentity.load(folder)
    write_file_atomic(out, (json.dumps(SealerCard.of(identity).to_json(), indent=2) + "\n").encode(), 0o644)
    click.echo(f"sealer card of {identity.public_key.hex()} ({identity.evidence.type}) written to {out}")


@dump.command("inspect")
@click.argument("file", type=FILE)
@click.option("--json", "as_json", is_flag=True, help="Accepted for uniformity: inspect always prints JSON.")
def dump_inspect(file: Path, as_json: bool) -> None:
    """Print FILE's header, trailer and verification result as JSON (no key needed)."""
    from dumps.inspect import inspect_dump

    with about(file):
        click.echo(json.dumps(inspect_dump(file), indent=2))


@dump.command("verify")
@click.argument("file", type=FILE)
@click.option("--bundle", "bundle_paths", type=FILE, multiple=True,
              help="Also check the dump is sealed to this council's key: its epoch and roster must be "
                   "the bundle's (repeat with the bundles of earlier epochs of the same key).")
@click.option("--no-simulated", is_flag=True, help="Refuse simulated sealer evidence.")
@click.option("--policy", "policy_path", type=FILE,
              help="Admission policy (JSON): the sealer must be admitted by it.")
@click.option("--collateral", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="DCAP collateral folder, to verify sgx-dcap/tdx-dcap evidence (with --policy).")
@click.option("--at", "at_text", help="Verify the quote at this ISO-8601 time (default: now).")
@json_option
def dump_verify(file: Path, bundle_paths: tuple[Path, ...], no_simulated: bool, policy_path: Path | None,
                collateral: Path | None, at_text: str | None, as_json: bool) -> None:
    """Exit 0 only if FILE is authentic: signatures, trailer, chunks, evidence binding, (with
    --policy) the sealer's admission, and (with --bundle) that it is sealed to that council's key."""
    from council.bundle import KeyBundle
    from council.errors import PolicyRefused
    from dumps.evidence import refuse_simulated
    from dumps.lineage import KeyLineage
    from dumps.verify import verify_dump

    checker: EvidenceChecker | None = refuse_simulated if no_simulated else None
    if policy_path is not None:
        checker = _admission(policy_path, collateral, at_text)
    with _progress(file.stat().st_size, "verifying") as progress:
        with about(file):
            verified = verify_dump(file, checker, progress)
    header = verified.header
    if bundle_paths:
        bundles = [KeyBundle.load(p) for p in bundle_paths]
        for b in bundles:
            b.verify()
        try:
            KeyLineage.of_bundles(bundles).require(header)
        except PolicyRefused as exc:
            raise type(exc)(f"{file}: {exc}") from None
    insecure = "INSECURE" in verified.evidence_status
    if insecure:
        click.echo(INSECURE, err=True)
    if as_json:
        emit_json({"dump": {"file": str(file), "authentic": True, "app": header.app_id,
                            "version": header.dump_version, "key_id": header.key_id, "epoch": header.epoch,
                            "plaintext_length": verified.trailer.plaintext_length,
                            "digest": verified.digest.hex(), "sealer": header.sealer_public_key.hex(),
                            "evidence": verified.evidence_status, "insecure": insecure}})
        return
    click.echo(f"authentic: {header.app_id} version {header.dump_version}, "
               f"{verified.trailer.plaintext_length} bytes, digest {verified.digest.hex()}")
    click.echo(f"sealer {header.sealer_public_key.hex()}, evidence {verified.evidence_status}")


STORE_HELP = "Store: DIR, file://DIR or s3://BUCKET/PREFIX (credentials: the standard AWS chain)."
ENDPOINT_HELP = "S3 endpoint URL (MinIO, Ceph, R2, GCS, a test server); default: AWS or $AWS_ENDPOINT_URL."


@dump.command("ls")
@click.argument("store_arg", metavar="[STORE]", required=False)
@click.option("--store", "store_url", help=STORE_HELP)
@click.option("--s3-endpoint", help=ENDPOINT_HELP)
@click.option("--app", "app_id", help="Only this application.")
@json_option
def dump_ls(store_arg: str | None, store_url: str | None, s3_endpoint: str | None,
            app_id: str | None, as_json: bool) -> None:
    """List the dumps of a store (a folder, or a bucket): app, version, size, sealer, status."""
    from dumps.listing import list_store
    from dumps.stores import open_store

    if (store_arg is None) == (store_url is None):
        raise click.UsageError("name the store once: `dump ls DIR` or `dump ls --store URL`")
    rows = list_store(open_store(store_arg or store_url or "", s3_endpoint=s3_endpoint), app_id)
    if as_json:
        emit_json({"dumps": [{"name": r.name, "app": r.app, "version": int(r.version) if r.version.isdigit()
                              else None, "size": r.size, "sealer": r.sealer.split()[0] if r.sealer else None,
                              "insecure": "INSECURE" in r.sealer, "status": r.status} for r in rows]})
        return
    table = [("NAME", "APP", "VERSION", "SIZE", "SEALER", "STATUS")]
    table += [(r.name, r.app, r.version, str(r.size), r.sealer, r.status) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[5])


@dump.command("publish")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--store", "store_url", required=True, help=STORE_HELP)
@click.option("--s3-endpoint", help=ENDPOINT_HELP)
@click.option("--name", help="Name in the store (one FILE only; default: the file's name).")
def dump_publish(files: tuple[Path, ...], store_url: str, s3_endpoint: str | None,
                 name: str | None) -> None:
    """Check each sealed FILE (signatures, trailer, layout, chunk digest on the way) and create it
    in the store; an existing name is never overwritten."""
    from dumps.publish import publish_file
    from dumps.stores import open_store

    if name is not None and len(files) != 1:
        raise click.UsageError("--name needs exactly one FILE")
    store = open_store(store_url, s3_endpoint=s3_endpoint)
    for file in files:
        with _progress(file.stat().st_size, f"publishing {file.name}") as progress, about(file):
            published = publish_file(store, file, name, progress=progress)
        header = published.dump.header
        click.echo(f"published {file} to {published.location}: {header.app_id} version "
                   f"{header.dump_version}, digest {published.digest.hex()}")
        if "INSECURE" in published.dump.evidence_status:
            click.echo(INSECURE, err=True)


@dump.command("open")
@click.argument("file", type=FILE)
@click.option("--secret-file", type=FILE, required=True,
              help="Whole council secret as hex (DEV ONLY: real opening goes through recovery).")
@click.option("-o", "--out", type=FILE, required=True, help="Plaintext output (0600, never overwritten).")
def dump_open(file: Path, secret_file: Path, out: Path) -> None:
    """DEV ONLY: open FILE with the whole council secret (tests and break-glass rehearsals)."""
    from council.crypto.group import P256
    from dumps.open import key_from_secret, open_dump

    secret = _read_secret(secret_file)
    with _progress(file.stat().st_size, "opening") as progress:
        opened = open_dump(file, out, key_from_secret(secret, P256.base_mul(secret)),
                           progress=progress)
    click.echo(f"opened {opened.header.app_id} version {opened.header.dump_version}: "
               f"{opened.plaintext_length} bytes to {out}")


def _target(bundle_path: Path) -> SealTarget:
    """The bundle's key; a key the council log superseded or retired is said loudly on stderr."""
    import warnings

    from dumps.target import KeyNoticeWarning, SealTarget

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KeyNoticeWarning)  # printed below, once, in red
        target = SealTarget.load_bundle(bundle_path)
    for line in target.notices:
        click.secho(line, err=True, fg="red", bold=True)
    return target


def _previous_digest(previous: str, out: Path, app_id: str, version: int,
                     identity: SealingIdentity) -> bytes:
    """--previous: a FILE, 'none', or 'auto' (the newest authentic dump of APP next to OUT)."""
    from dumps.newest import choose_newest
    from dumps.store import FolderStore
    from dumps.verify import verify_dump

    if previous == "none":
        return b""
    if previous != "auto":
        prev = verify_dump(Path(previous))
        name, prev_app, prev_version = previous, prev.header.app_id, prev.header.dump_version
        digest, sealer = prev.digest, prev.header.sealer_public_key
    else:
        newest = choose_newest(FolderStore(out.parent if str(out.parent) else Path(".")), app_id).newest
        if newest is None:
            return b""
        name, prev_app, prev_version = newest.name, app_id, newest.version
        digest, sealer = newest.dump.digest, newest.dump.header.sealer_public_key
    if prev_app != app_id or prev_version >= version:
        raise StorageError(f"previous dump {name} is {prev_app} version {prev_version}; "
                           f"version {version} of {app_id} must be newer and of the same app")
    if sealer != identity.public_key:
        click.echo(f"warning: the previous dump {name} was sealed by another key; readers without "
                   "an admission policy will skip this dump", err=True)
    return digest


def _admission(policy_path: Path, collateral: Path | None, at_text: str | None) -> EvidenceChecker:
    from council.attestation.policy import PolicyFile
    from council.attestation.policy_model import parse_time
    from dumps.admission import SealerAdmission

    try:
        at = parse_time(at_text) if at_text else None
    except ValueError as exc:
        raise click.BadParameter(f"{exc}; expected ISO-8601 with a zone, e.g. 2025-07-19T10:00:00Z",
                                 param_hint="--at") from None
    return SealerAdmission(PolicyFile(policy_path), collateral, None, at)


def _print_sealed(sealed: SealedDump, out: Path, identity: SealingIdentity) -> None:
    click.echo(f"sealed {sealed.header.app_id} version {sealed.header.dump_version} to {out}: "
               f"{sealed.trailer.plaintext_length} bytes in, {sealed.size} bytes out")
    click.echo(f"digest {sealed.digest.hex()}")
    if identity.insecure:
        click.echo(INSECURE, err=True)


def _read_secret(path: Path) -> Scalar:
    from council.crypto.group import Scalar

    try:
        return Scalar.from_bytes(bytes.fromhex(path.read_text().strip()), "secret")
    except ValueError:
        raise DecodeError(f"{path}: expected the council secret as 64 hex digits") from None


def _progress(size: int | None, label: str) -> AbstractContextManager[Callable[[int], None] | None]:
    """A progress line on stderr for large dumps, only when stderr is a terminal."""
    return progress(size, label)
