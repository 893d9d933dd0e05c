"""`keycouncil recover`: bring the newest state back (docs/recovery.md).

One click group, `invoke_without_command=True`, so that both modes share the dump options:

    recover --offline --backup FILE... --store STORE --app APP -o OUT [--version N]
            [--policy POLICY --collateral DIR] [--backup-passphrase-file [MEMBER=]FILE]...
    recover --roster FILE --operator DIR --store STORE --app APP -o OUT [--version N]
            [--target-key FILE] [--deadline S] [--passphrase-file F]   (members over gRPC)

STORE is DIR, file://DIR or s3://BUCKET/PREFIX (with --s3-endpoint URL for a non-AWS service).

`--passphrase-file` is the passphrase of the folder a command uses (here the operator folder;
`--operator-passphrase-file` is its alias); in --offline mode `--passphrase-file MEMBER=FILE`
stays the SLIP-39 passphrase of MEMBER's backups, as `--backup-passphrase-file` is everywhere.
An option of the other mode is an error, never silently ignored.
    recover finish --target-secret FILE --package FILE --dump FILE -o OUT

Thin: parsing and printing only. Errors are KeycouncilError subclasses; cli/main.py prints one line
and exits 1. Secrets (passphrases, target secret) come from files or a hidden prompt, never argv.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from cli.config import OPERATOR_ENV, OPERATOR_PASSPHRASE_FILE_ENV, ROSTER_ENV
from cli.output import emit_json, json_option
from cli.progress import progress
from council.crypto.group import Point, Scalar
from council.errors import DecodeError
from council.protocol.backup_file import BackupLabel
from council.roster import Roster
from dumps.atomic import ensure_absent, write_file_atomic
from dumps.errors import ChunkAuthenticationFailed
from dumps.evidence import EvidenceChecker, is_insecure
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
INSECURE_WORD = "INSECURE: simulated sealer evidence"
INSECURE = "WARNING: INSECURE simulated sealer evidence: no TEE attests the signing key of this dump"


class RecoverGroup(click.Group):
    """`recover` takes several files after one `--backup` (`--backup m1/*.txt` as the shell
    expands it): each word after a `--backup` value up to the next option is one more backup."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_option(args, "--backup", set(self.commands)))


def spread_option(args: list[str], option: str, stop_words: set[str]) -> list[str]:
    """`--backup a b c` → `--backup a --backup b --backup c` (stops at an option, `--` or a
    subcommand name)."""
    out: list[str] = []
    k = 0
    while k < len(args):
        word = args[k]
        out.append(word)
        k += 1
        if word == "--":
            return out + args[k:]
        if word != option or k >= len(args):
            continue
        out.append(args[k])
        k += 1
        while k < len(args) and not args[k].startswith("-") and args[k] not in stop_words:
            out += [option, args[k]]
            k += 1
    return out


def expand_backups(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[Path, ...]:
    """Each --backup value: a file, a glob (quoted, so expanded here) or a folder (its
    backup-*.txt files); a pattern or folder that matches nothing is an error."""
    out: list[Path] = []
    for value in values:
        if any(c in value for c in "*?["):
            matches = sorted(glob.glob(value))
            if not matches:
                raise click.BadParameter(f"{value!r}: no file matches", param_hint="--backup")
            out += [Path(m) for m in matches]
        elif Path(value).is_dir():
            found = sorted(Path(value).glob("backup-*.txt"))
            if not found:
                raise click.BadParameter(f"{value}: folder holds no backup-*.txt file", param_hint="--backup")
            out += found
        elif Path(value).is_file():
            out.append(Path(value))
        else:
            raise click.BadParameter(f"{value}: no such file", param_hint="--backup")
    return tuple(dict.fromkeys(out))


@click.group("recover", cls=RecoverGroup, invoke_without_command=True)
@click.option("--offline", is_flag=True, help="Break glass: decrypt here from SLIP-39 share backups.")
@click.option("--backup", "backups", multiple=True, callback=expand_backups, metavar="FILE...",
              help="Backup files (--offline): several after one --backup, globs and folders too; repeat.")
@click.option("--passphrase-file", "passphrase_files", multiple=True, metavar="FILE | MEMBER=FILE",
              help="Networked: the operator folder's passphrase (FILE). --offline: the SLIP-39 passphrase "
              "of MEMBER's backups (MEMBER=FILE; MEMBER a name or an index).")
@click.option("--backup-passphrase-file", "backup_passphrase_files", multiple=True,
              metavar="[MEMBER=]FILE", help="--offline: SLIP-39 passphrase of MEMBER's backups (name or "
              "index), or of every backup without MEMBER= (else asked, hidden).")
@click.option("--roster", "roster_path", type=FILE, envvar=ROSTER_ENV,
              help=f"Council roster (networked mode) [env {ROSTER_ENV}].")
@click.option("--operator", "operator_dir", type=DIR, envvar=OPERATOR_ENV,
              help=f"Operator folder (networked mode) [env {OPERATOR_ENV}].")
@click.option("--target-key", type=FILE, help="Seal shares to this target key (hex SEC1 point); -o gets "
              "the target package instead of the plaintext.")
@click.option("--deadline", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for members, approvals included (networked mode).")
@click.option("--operator-passphrase-file", "operator_passphrase", type=FILE,
              envvar=OPERATOR_PASSPHRASE_FILE_ENV,
              help="Passphrase of the operator folder (same as --passphrase-file FILE; else "
              f"$KEYCOUNCIL_PASSPHRASE) [env {OPERATOR_PASSPHRASE_FILE_ENV}].")
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
@click.option("--chain-rpc", default=None, metavar="URL|@FILE",
              help="Also take the newest announced dump from the council log anchored on this chain "
              "(with --contract): a store or members hiding it cannot roll recovery back.")
@click.option("--contract", default=None, metavar="ADDR", help="The CouncilAnchor contract (with --chain-rpc).")
@json_option
@click.pass_context
def recover(ctx: click.Context, offline: bool, backups: tuple[Path, ...], passphrase_files: tuple[str, ...],
            backup_passphrase_files: tuple[str, ...], roster_path: Path | None, operator_dir: Path | None,
            target_key: Path | None, deadline: float, operator_passphrase: Path | None,
            store_dir: str | None, s3_endpoint: str | None, app_id: str | None, dump_version: int | None,
            policy_path: Path | None, collateral: Path | None, out: Path | None, allow_older: bool,
            chain_rpc: str | None, contract: str | None, as_json: bool) -> None:
    """Recover the newest authentic dump of APP: from members (networked) or from backups (--offline)."""
    if ctx.invoked_subcommand is not None:
        return
    if store_dir is None or app_id is None or out is None:
        raise click.UsageError("--store, --app and -o/--out are required")
    if (chain_rpc is None) != (contract is None):
        raise click.UsageError("--chain-rpc and --contract go together")
    admit = _admission(policy_path, collateral)
    store = open_store(store_dir, s3_endpoint=s3_endpoint)
    if offline:
        _refuse_given(ctx, ("roster_path", "operator_dir", "target_key", "operator_passphrase", "chain_rpc",
                            "contract"), "networked recovery, not --offline")
        if not backups:
            raise click.UsageError("--offline needs --backup FILE... (the mnemonic files of t members)")
        passphrases = backup_passphrases(backups, passphrase_files, backup_passphrase_files)
        _offline(store, app_id, list(backups), out, dump_version, admit, passphrases, as_json)
        return
    _refuse_given(ctx, ("backups", "backup_passphrase_files"), "--offline recovery")
    if roster_path is None or operator_dir is None:
        raise click.UsageError("networked recovery needs --roster and --operator (or use --offline)")
    explicit = ctx.get_parameter_source("operator_passphrase") is click.core.ParameterSource.COMMANDLINE
    connect = _backend(ctx, deadline, _operator_passphrase(
        passphrase_files, operator_passphrase if explicit else None,
        None if explicit else operator_passphrase)).connect
    chain = (chain_rpc, contract) if chain_rpc is not None and contract is not None else None
    _networked(connect, roster_path, operator_dir, store, app_id, out, dump_version, admit,
               target_key, deadline, as_json, allow_older, chain)


def _refuse_given(ctx: click.Context, names: tuple[str, ...], meant_for: str) -> None:
    """An option of the other mode is an error, never silently ignored."""
    for p in ctx.command.params:
        if p.name in names and ctx.get_parameter_source(p.name) is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(f"{p.opts[0]} is for {meant_for}")


def _operator_passphrase(specs: tuple[str, ...], operator_passphrase: Path | None,
                         default: Path | None = None) -> Path | None:
    """Networked mode: --passphrase-file FILE (or its alias --operator-passphrase-file) is the
    operator folder's passphrase, else `default` (environment, keycouncil.toml); MEMBER=FILE is
    refused with what it means."""
    if len(specs) > 1 or (specs and operator_passphrase is not None):
        raise click.BadParameter("give the operator folder's passphrase once", param_hint="--passphrase-file")
    if not specs:
        return operator_passphrase or default
    spec = specs[0]
    if not Path(spec).is_file():
        if "=" in spec:
            raise click.BadParameter(f"{spec!r}: MEMBER=FILE (a backup's passphrase) is for --offline; "
                                     "networked recovery takes --passphrase-file FILE, the passphrase of "
                                     "the operator folder", param_hint="--passphrase-file")
        raise click.BadParameter(f"{spec}: no such file", param_hint="--passphrase-file")
    return Path(spec)


def backup_passphrases(backups: Sequence[Path], member_specs: tuple[str, ...],
                       specs: tuple[str, ...]) -> dict[int | None, Path]:
    """--offline passphrase files by member index (None: for every backup). MEMBER is a member
    name or an index of the members whose backups are given; an unknown MEMBER is an error."""
    members: dict[int, str] | None = None  # read only when a MEMBER= is given
    out: dict[int | None, Path] = {}
    for flag, values, plain_ok in (("--passphrase-file", member_specs, False),
                                   ("--backup-passphrase-file", specs, True)):
        for spec in values:
            member, sep, path = spec.partition("=")
            if plain_ok and (not sep or Path(spec).is_file()):
                out[None] = Path(spec)
                continue
            if not sep or not member or not path:
                raise click.BadParameter(
                    f"{spec!r}: expected MEMBER=FILE, MEMBER a member name or an index"
                    + ("; for one passphrase for every backup use --backup-passphrase-file FILE"
                       if not plain_ok else ""), param_hint=flag)
            members = _backup_members(backups) if members is None else members
            index = _member_of(member, members)
            if index is None:
                known = ", ".join(f"{i} ({n})" for i, n in sorted(members.items())) or "none"
                raise click.BadParameter(f"{spec!r}: {member!r} is neither the name nor the index of a "
                                         f"member whose backups are given ({known})", param_hint=flag)
            out[index] = Path(path)
    return out


def _backup_members(backups: Sequence[Path]) -> dict[int, str]:
    """Index → name of every member whose backup files are given (public parts only)."""
    from council.protocol.backup import read_backup_file

    members: dict[int, str] = {}
    for path in backups:
        label = read_backup_file(path).label
        members[label.member] = label.name
    return members


def _member_of(text: str, members: dict[int, str]) -> int | None:
    named = [i for i, n in members.items() if n == text]
    if named:
        return named[0]
    return int(text) if text.isdigit() and int(text) in members else None


def _offline(store: DumpStore, app_id: str, backups: list[Path], out: Path, version: int | None,
             admit: EvidenceChecker | None, passphrases: dict[int | None, Path], as_json: bool) -> None:
    def passphrase(label: BackupLabel) -> bytes:
        path = passphrases.get(label.member, passphrases.get(None))
        if path is not None:
            return path.read_bytes().rstrip(b"\r\n")
        return click.prompt(f"passphrase of {label.describe()}", hide_input=True, err=True).encode()
    with progress(None, f"recovering {app_id}") as bar:
        report = recover_offline(store, app_id, backups, out, version=version, admit=admit,
                                 passphrase=passphrase, progress=bar)
    _print_skipped(report.skipped)
    _warn_insecure(report.insecure)
    if as_json:
        emit_json({"recovery": _doc("offline", report.dump_name, app_id, report.dump_version, out,
                                    report.plaintext_length, report.roster, report.used, report.insecure,
                                    report.skipped, key_id=report.key_id, epoch=report.epoch)})
        return
    click.echo(f"recovered {app_id} version {report.dump_version} ({report.dump_name}, "
               f"{report.plaintext_length} bytes) to {out} from backups of members "
               f"{_who(report.roster, report.used)} (key {report.key_id}, epoch {report.epoch})"
               + insecure_suffix(report.insecure))


def _networked(connect: Any, roster_path: Path, operator_dir: Path, store: DumpStore, app_id: str,
               out: Path, version: int | None, admit: EvidenceChecker | None, target_key: Path | None,
               deadline: float, as_json: bool = False, allow_older: bool = False,
               chain: tuple[str, str] | None = None) -> None:
    ensure_absent(out)
    conns: list[Connection] = []
    lineages: list[KeyLineage] = []
    resolved: list[Resolution] = []

    def lineage_for(chosen: ChosenDump) -> KeyLineage:
        conns.append(_with_chain(connect(roster_path, operator_dir, chosen.key_id), chain))
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
        insecure = is_insecure(chosen.candidate.dump.header.evidence)
        click.echo(f"chosen: {chosen.name} ({app_id} version {chosen.version})" + insecure_suffix(insecure),
                   err=True)
        roster = conn.council.bundle.roster
        now = int(time.time() * 1000)
        if target_key is not None:
            package, treport = recover_for_target(chosen, conn.council, conn.operator, conn.client,
                                                  _read_point(target_key), now_unix_ms=now,
                                                  deadline_seconds=deadline, progress=_progress(roster),
                                                  ledger=conn.ledger)
            write_file_atomic(out, package.to_bytes(), 0o600)
            _warn_insecure(insecure)
            if as_json:
                emit_json({"recovery": _doc("target", chosen.name, app_id, chosen.version, out, None, roster,
                                            treport.used, insecure, chosen.skipped, request_id=treport.request_id,
                                            key_id=conn.council.key_id, epoch=conn.council.epoch)})
                return
            click.echo(f"target package for request {treport.request_id}: sealed shares of members "
                       f"{_who(roster, treport.used)} written to {out}" + insecure_suffix(insecure))
            return
        try:
            with progress(chosen.candidate.dump.file_size, f"recovering {chosen.name}") as bar:
                report = recover_to_file(chosen, conn.council, conn.operator, conn.client, out, now_unix_ms=now,
                                         deadline_seconds=deadline, progress=_progress(roster), admit=admit,
                                         bytes_progress=bar, ledger=conn.ledger)
        except ChunkAuthenticationFailed as exc:
            if resolved[0].head is None:
                raise  # recover_bound skips it and falls back to the next newest
            raise NewestNotRecoverable(f"{chosen.name}: the council's key does not open it ({exc}); the log "
                                       "announced it, so recovery stops instead of falling back") from None
        if as_json:
            _warn_insecure(insecure)
            doc = _doc("networked", report.dump_name, app_id, report.dump_version, out, report.plaintext_length,
                       roster, report.used, insecure, chosen.skipped, request_id=report.request_id,
                       key_id=conn.council.key_id, epoch=conn.council.epoch)
            doc["invalid"] = {roster.who(i): why for i, why in sorted(report.invalid.items())}
            doc["log"] = list(report.log)
            doc["older_than_announced"] = older.skipped_version if older is not None else None
            emit_json({"recovery": doc})
            return
        _print_report(report, out, roster, insecure)
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
    """(1b) The council log's newest announced version decides (recovery.announced; with --chain-rpc
    the chain's if it anchors a newer one, recovery.chain_ledger); an older one only with
    --allow-older, once that decision is accepted in the log."""
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


def _with_chain(conn: Connection, chain: tuple[str, str] | None) -> Connection:
    """With --chain-rpc: the chain decides the newest announced dump, and what is appended waits for
    its anchor (recovery.chain_ledger)."""
    if chain is None or conn.ledger is None:
        return conn
    import dataclasses

    from cli.log_chain import open_chain
    from recovery.chain_ledger import ChainLedger
    from recovery.log_ledger import LogLedger

    assert isinstance(conn.ledger, LogLedger)
    return dataclasses.replace(conn, ledger=ChainLedger(conn.ledger, open_chain(chain[0], chain[1], None)))


def _doc(mode: str, dump: str, app_id: str, version: int, out: Path, length: int | None,
         roster: Roster | None, used: Sequence[int], insecure: bool, skipped: Sequence[Skipped],
         **extra: Any) -> dict[str, Any]:
    """The stable fields of `recover --json` (docs/operators.md, "JSON output")."""
    members = [{"index": i, "name": roster.member(i).name if roster else None} for i in used]
    return {"mode": mode, "dump": dump, "app": app_id, "version": version, "out": str(out),
            "plaintext_length": length, "members": members, "insecure": insecure,
            "skipped": [{"name": s.name, "reason": s.reason} for s in skipped], **extra}


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
    _print_report(report, out, package.council.bundle.roster,
                  is_insecure(package.request.dump.verify().header.evidence))


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


def _who(roster: Roster | None, indices: Sequence[int]) -> str:
    return ", ".join(roster.who(i) if roster else str(i) for i in indices)


def insecure_suffix(insecure: bool) -> str:
    """What every output line about a dump of a simulated sealer ends with (dump-format.md)."""
    return f" [{INSECURE_WORD}]" if insecure else ""


def _warn_insecure(insecure: bool) -> None:
    if insecure:
        click.echo(INSECURE, err=True)


def _progress(roster: Roster) -> Callable[[MemberEvent], None]:
    def show(event: MemberEvent) -> None:
        click.echo(f"member {roster.who(event.index)}: {event.status}"
                   + (f" ({event.detail})" if event.detail else ""), err=True)
    return show


def _print_skipped(skipped: tuple[Skipped, ...]) -> None:
    for s in skipped:
        click.echo(f"skipped {s.name}: {s.reason}", err=True)


def _print_report(report: RecoveryReport, out: Path, roster: Roster, insecure: bool) -> None:
    click.echo(f"recovered {report.dump_name} (version {report.dump_version}, {report.plaintext_length} "
               f"bytes) to {out} with shares of members {_who(roster, report.used)}"
               + insecure_suffix(insecure))
    for i, why in sorted(report.invalid.items()):
        click.echo(f"warning: member {roster.who(i)} gave an invalid share: {why}", err=True)
    for line in report.log:
        click.echo(f"log: {line}", err=True)
    _warn_insecure(insecure)


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
