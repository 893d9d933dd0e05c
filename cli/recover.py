"""`keycouncil recover`: bring the newest state back (docs/recovery.md).

One click group, `invoke_without_command=True`, so that both modes share the dump options:

    recover --offline --backup FILE... --store STORE --app APP -o OUT [--version N]
            [--policy POLICY --collateral DIR] [--passphrase-file MEMBER=FILE]...
    recover --roster FILE --operator DIR --store STORE --app APP -o OUT [--version N]
            [--target-key FILE] [--deadline S] [--operator-passphrase-file F]   (members over gRPC)
    recover finish --target-secret FILE --package FILE --dump FILE -o OUT

STORE is DIR, file://DIR or s3://BUCKET/PREFIX (with --s3-endpoint URL for a non-AWS service).
Thin: parsing and printing only. Errors are KeycouncilError subclasses; cli/main.py prints one line
and exits 1. Secrets (passphrases, target secret) come from files or a hidden prompt, never argv.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from cli.progress import progress
from council.crypto.group import Point, Scalar
from council.errors import DecodeError
from council.protocol.backup_file import BackupLabel
from dumps.atomic import ensure_absent, write_file_atomic
from dumps.errors import ChunkAuthenticationFailed
from dumps.evidence import EvidenceChecker
from dumps.lineage import Binding, KeyLineage
from dumps.newest import Skipped
from dumps.store import DumpStore
from dumps.stores import open_store
from recovery.announced import NewestNotRecoverable, Resolution, resolve
from recovery.choose import ChosenDump
from recovery.connection import Connection, RecoveryBackend
from recovery.coordinator import RecoveryReport, finish_target, recover_for_target, recover_to_file
from recovery.fallback import recover_bound
from recovery.gather import MemberEvent
from recovery.offline import recover_offline
from recovery.package import TargetPackage

FILE = click.Path(path_type=Path, dir_okay=False)
DIR = click.Path(path_type=Path, file_okay=False)
BACKEND_KEY = "recovery_backend"


@click.group("recover", invoke_without_command=True)
@click.option("--offline", is_flag=True, help="Break glass: decrypt here from SLIP-39 share backups.")
@click.option("--backup", "backups", type=FILE, multiple=True, help="A backup file (repeat; --offline).")
@click.option("--passphrase-file", "passphrase_files", multiple=True, metavar="MEMBER=FILE",
              help="Passphrase of MEMBER's backup, read from FILE (else asked, hidden).")
@click.option("--roster", "roster_path", type=FILE, help="Council roster (networked mode).")
@click.option("--operator", "operator_dir", type=DIR, help="Operator folder (networked mode).")
@click.option("--target-key", type=FILE, help="Seal shares to this target key (hex SEC1 point); -o gets "
              "the target package instead of the plaintext.")
@click.option("--deadline", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for members, approvals included (networked mode).")
@click.option("--operator-passphrase-file", "operator_passphrase", type=FILE,
              help="Passphrase of the operator folder (else $KEYCOUNCIL_PASSPHRASE).")
@click.option("--store", "store_dir", help="Store holding the dumps: DIR, file://DIR or s3://BUCKET/PREFIX.")
@click.option("--s3-endpoint", help="S3 endpoint URL for an s3:// store (default: AWS or $AWS_ENDPOINT_URL).")
@click.option("--app", "app_id", help="Application id.")
@click.option("--version", "dump_version", type=click.IntRange(min=1), help="This version, not the newest.")
@click.option("--policy", "policy_path", type=FILE, help="Admission policy (JSON) for the dump's sealer.")
@click.option("--collateral", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="DCAP collateral folder (with --policy).")
@click.option("-o", "--out", type=FILE, help="Output file (never overwritten; nothing on failure).")
@click.option("--allow-older", is_flag=True, help="If the newest announced dump is missing or does not verify, "
              "recover the newest authentic older one and record that decision in the council log (t approve).")
@click.pass_context
def recover(ctx: click.Context, offline: bool, backups: tuple[Path, ...], passphrase_files: tuple[str, ...],
            roster_path: Path | None, operator_dir: Path | None, target_key: Path | None, deadline: float,
            operator_passphrase: Path | None, store_dir: str | None, s3_endpoint: str | None,
            app_id: str | None, dump_version: int | None, policy_path: Path | None,
            collateral: Path | None, out: Path | None, allow_older: bool) -> None:
    """Recover the newest authentic dump of APP: from members (networked) or from backups (--offline)."""
    if ctx.invoked_subcommand is not None:
        return
    if store_dir is None or app_id is None or out is None:
        raise click.UsageError("--store, --app and -o/--out are required")
    admit = _admission(policy_path, collateral)
    store = open_store(store_dir, s3_endpoint=s3_endpoint)
    if offline:
        if not backups:
            raise click.UsageError("--offline needs --backup FILE (one per mnemonic file)")
        _offline(store, app_id, list(backups), out, dump_version, admit, _passphrases(passphrase_files))
        return
    if roster_path is None or operator_dir is None:
        raise click.UsageError("networked recovery needs --roster and --operator (or use --offline)")
    connect = _backend(ctx, deadline, operator_passphrase).connect
    _networked(connect, roster_path, operator_dir, store, app_id, out, dump_version, admit,
               target_key, deadline, allow_older)


def _offline(store: DumpStore, app_id: str, backups: list[Path], out: Path, version: int | None,
             admit: EvidenceChecker | None, passphrases: dict[int, Path]) -> None:
    def passphrase(label: BackupLabel) -> bytes:
        if label.member in passphrases:
            return passphrases[label.member].read_bytes().rstrip(b"\r\n")
        return click.prompt(f"passphrase of {label.describe()}", hide_input=True, err=True).encode()
    with progress(None, f"recovering {app_id}") as bar:
        report = recover_offline(store, app_id, backups, out, version=version, admit=admit,
                                 passphrase=passphrase, progress=bar)
    _print_skipped(report.skipped)
    click.echo(f"recovered {app_id} version {report.dump_version} ({report.dump_name}, "
               f"{report.plaintext_length} bytes) to {out} from backups of members "
               f"{', '.join(map(str, report.used))} (key {report.key_id}, epoch {report.epoch})")


def _networked(connect: Any, roster_path: Path, operator_dir: Path, store: DumpStore, app_id: str,
               out: Path, version: int | None, admit: EvidenceChecker | None, target_key: Path | None,
               deadline: float, allow_older: bool = False) -> None:
    ensure_absent(out)
    conns: list[Connection] = []
    lineages: list[KeyLineage] = []
    resolved: list[Resolution] = []

    def lineage_for(chosen: ChosenDump) -> KeyLineage:
        conns.append(connect(roster_path, operator_dir, chosen.key_id))
        lineages.append(KeyLineage.of_bundles([conns[0].council.bundle]))
        return lineages[0]

    def attempt(first: ChosenDump) -> None:
        conn = conns[0]
        if not resolved:
            resolved.append(_announced(conn, store, first, version, admit, allow_older, deadline))  # (1b)
        chosen, older = resolved[0].chosen, resolved[0].older
        if resolved[0].head is None:
            chosen = first  # nothing announced: the store's choice, with the foreign-key fallback
        elif chosen.name != first.name:  # recover_bound checked `first`; the log chose another
            _bound_or_stop(lineages[0], chosen)
        click.echo(f"chosen: {chosen.name} ({app_id} version {chosen.version})", err=True)
        now = int(time.time() * 1000)
        if target_key is not None:
            package, treport = recover_for_target(chosen, conn.council, conn.operator, conn.client,
                                                  _read_point(target_key), now_unix_ms=now,
                                                  deadline_seconds=deadline, progress=_progress,
                                                  ledger=conn.ledger)
            write_file_atomic(out, package.to_bytes(), 0o600)
            click.echo(f"target package for request {treport.request_id}: sealed shares of members "
                       f"{', '.join(map(str, treport.used))} written to {out}")
            return
        try:
            with progress(chosen.candidate.dump.file_size, f"recovering {chosen.name}") as bar:
                report = recover_to_file(chosen, conn.council, conn.operator, conn.client, out, now_unix_ms=now,
                                         deadline_seconds=deadline, progress=_progress, admit=admit,
                                         bytes_progress=bar, ledger=conn.ledger)
        except ChunkAuthenticationFailed as exc:
            if resolved[0].head is None:
                raise  # recover_bound skips it and falls back to the next newest
            raise NewestNotRecoverable(f"{chosen.name}: the council's key does not open it ({exc}); the log "
                                       "announced it, so recovery stops instead of falling back") from None
        _print_report(report, out)
        if older is not None:
            click.echo(f"OLDER than the newest announced version {older.skipped_version} (--allow-older; the "
                       "decision is recorded in the council log: keycouncil log show)")

    recover_bound(store, app_id, version, admit, lineage_for, attempt,                      # (1)-(6)
                  lambda s: _print_skipped((s,)))


def _bound_or_stop(lineage: KeyLineage, chosen: ChosenDump) -> None:
    """The announced dump must be sealed to this council's key; with the log deciding, no fallback."""
    verdict, why = lineage.binding(chosen.candidate.dump.header)
    if verdict is Binding.FOREIGN:
        raise NewestNotRecoverable(f"{chosen.name}: {why}; the log announced it, so recovery stops "
                                   "instead of falling back to another dump")


def _announced(conn: Connection, store: DumpStore, chosen: ChosenDump, version: int | None,
               admit: EvidenceChecker | None, allow_older: bool, deadline: float) -> Resolution:
    """(1b) The council log's newest announced version decides (recovery.announced); an older one only
    with --allow-older, once that decision is accepted in the log."""
    if conn.ledger is None:
        return Resolution(chosen, None)
    head = conn.ledger.newest(chosen.key_id, chosen.candidate.dump.header.app_id)
    resolution = resolve(store, chosen, head, version=version, admit=admit, allow_older=allow_older)
    for line in resolution.notices:
        click.echo(f"note: {line}", err=True)
    if resolution.older is not None:
        older = resolution.older
        click.echo(f"OLDER DUMP: recovering {older.app_id} version {older.used_version}, not the newest announced "
                   f"version {older.skipped_version} (digest {older.skipped_digest.hex()}): {older.reason}", err=True)
        line = conn.ledger.allow_older(chosen.key_id, older, deadline)
        click.echo(f"log: {line}", err=True)
    return resolution


@recover.command("finish")
@click.option("--target-secret", type=FILE, required=True, help="The target's secret key (hex, 0600 file).")
@click.option("--package", "package_path", type=FILE, required=True, help="Target package from the coordinator.")
@click.option("--dump", "dump_path", type=FILE, required=True, help="The dump file the request names.")
@click.option("--roster-digest", help="Pin the council's roster digest (hex).")
@click.option("-o", "--out", type=FILE, required=True, help="Plaintext output (never overwritten).")
def recover_finish(target_secret: Path, package_path: Path, dump_path: Path, roster_digest: str | None,
                   out: Path) -> None:
    """On the target: open the sealed shares, combine, decrypt DUMP to OUT."""
    ensure_absent(out)
    package = TargetPackage.from_bytes(package_path.read_bytes(), str(package_path))
    pinned = bytes.fromhex(roster_digest) if roster_digest else None
    report = finish_target(package, _read_scalar(target_secret), dump_path, out, expected_roster_digest=pinned)
    _print_report(report, out)


def _backend(ctx: click.Context, deadline: float, passphrase_file: Path | None) -> RecoveryBackend:
    """The backend in click's obj (tests), else members over gRPC."""
    obj = ctx.find_object(dict)
    if obj and BACKEND_KEY in obj:
        return obj[BACKEND_KEY]  # type: ignore[no-any-return]
    from recovery.grpc_client import GrpcRecoveryBackend

    # a member awaiting approval is given up slightly before the coordinator's deadline, so it
    # is reported as "refused (awaits approval …)" rather than "unavailable"
    return GrpcRecoveryBackend(wait_seconds=max(0.2, deadline - 1.0), passphrase_file=passphrase_file,
                               notice=lambda line: click.echo(line, err=True))


def _admission(policy_path: Path | None, collateral: Path | None) -> EvidenceChecker | None:
    if policy_path is None:
        return None
    from council.attestation.policy import PolicyFile
    from dumps.admission import SealerAdmission

    return SealerAdmission(PolicyFile(policy_path), collateral)


def _passphrases(specs: tuple[str, ...]) -> dict[int, Path]:
    out = {}
    for spec in specs:
        member, sep, path = spec.partition("=")
        if not sep or not member.isdigit() or not path:
            raise click.BadParameter(f"{spec!r}: expected MEMBER=FILE", param_hint="--passphrase-file")
        out[int(member)] = Path(path)
    return out


def _progress(event: MemberEvent) -> None:
    click.echo(f"member {event.index}: {event.status}" + (f" ({event.detail})" if event.detail else ""), err=True)


def _print_skipped(skipped: tuple[Skipped, ...]) -> None:
    for s in skipped:
        click.echo(f"skipped {s.name}: {s.reason}", err=True)


def _print_report(report: RecoveryReport, out: Path) -> None:
    click.echo(f"recovered {report.dump_name} (version {report.dump_version}, {report.plaintext_length} "
               f"bytes) to {out} with shares of members {', '.join(map(str, report.used))}")
    for i, why in sorted(report.invalid.items()):
        click.echo(f"warning: member {i} gave an invalid share: {why}", err=True)
    for line in report.log:
        click.echo(f"log: {line}", err=True)


def _read_scalar(path: Path) -> Scalar:
    try:
        return Scalar.from_bytes(bytes.fromhex(path.read_text().strip()), f"{path}")
    except ValueError:
        raise DecodeError(f"{path}: expected a secret scalar as 64 hex digits") from None


def _read_point(path: Path) -> Point:
    try:
        return Point.from_bytes(bytes.fromhex(path.read_text().strip()), f"{path}")
    except ValueError:
        raise DecodeError(f"{path}: expected a public key as 66 hex digits (SEC1 compressed)") from None
