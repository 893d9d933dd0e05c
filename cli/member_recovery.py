"""`keycouncil member requests | pending | approve | resume-log | backup export | backup import`
(docs/recovery.md, docs/operators.md).

`COMMANDS` is attached to the `member` group. Thin: parsing and printing; the work is in
`council.node.release.records` and `council.node.backup`. Passphrases come from files or the
environment, never argv.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.config import MEMBER_FOLDER_ENV, MEMBER_PASSPHRASE_FILE_ENV
from cli.member import ExistingFile, PathArg
from cli.text import plural

if TYPE_CHECKING:
    from council.node.folder import MemberFolder

DIR = click.Path(path_type=Path, file_okay=False, exists=True)
folder_passphrase = click.option("--passphrase-file", type=ExistingFile, envvar=MEMBER_PASSPHRASE_FILE_ENV,
                                 help="Passphrase of the member's data folder (else $KEYCOUNCIL_PASSPHRASE) "
                                 f"[env {MEMBER_PASSPHRASE_FILE_ENV}].")


@click.command("requests")
@click.argument("folder", type=DIR, envvar=MEMBER_FOLDER_ENV)
def requests_cmd(folder: Path) -> None:
    """List the recovery requests FOLDER's member remembers, with their state."""
    from council.node.release.records import ReleaseLog, RequestBook

    entries = RequestBook(folder).entries(ReleaseLog(folder))
    if not entries:
        click.echo("no recovery requests")
    for e in entries:
        r = e.record
        click.echo(f"{e.request_id}  {e.state:<8}  operator {r.get('operator')}  app {r.get('app')} "
                   f"version {r.get('dump_version')}  key {r.get('key_id')} epoch {r.get('epoch')}  "
                   f"first seen {r.get('first_seen')}" + ("  target-bound" if r.get("target_bound") else ""))


@click.command("pending")
@click.argument("folder", type=DIR)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per pending entry.")
def pending_cmd(folder: Path, as_json: bool) -> None:
    """List the council-log entries FOLDER's member holds for its operator's approval."""
    import json

    from council.log import entry_to_json
    from council.node.log_book import folder_logbook

    entries = folder_logbook(folder).pending()
    if as_json:
        for e in entries:
            click.echo(json.dumps(entry_to_json(e), sort_keys=True))
        return
    if not entries:
        click.echo("no log entries wait for this member's operator")
    for e in entries:
        click.echo(f"{e.id}  key {e.key_id}  entry {e.seq}  {e.kind.label}  by {e.author.role.label} "
                   f"{e.author.public_key.hex()[:16]}…  {_summary(e.body.to_json())}")


def _summary(body: dict[str, object]) -> str:
    shown = {k: v for k, v in body.items() if k != "roster" and not isinstance(v, (dict, list))}
    return " ".join(f"{k}={str(v)[:24]}" for k, v in shown.items())


@click.command("approve")
@click.argument("folder", type=DIR)
@click.argument("request_id", metavar="ID")
@click.option("--by", default=None, help="Who approves (recorded; default: the login name).")
def approve_cmd(folder: Path, request_id: str, by: str | None) -> None:
    """Approve ID on FOLDER's member: a pending council-log entry (see `member pending`) or a
    recovery request id (both, when the request waits in the log). Takes effect without a restart."""
    import getpass

    from council.errors import KeycouncilError
    from council.node.log_book import AmbiguousApproval, folder_logbook
    from council.node.release.records import ReleaseLog, RequestBook, check_request_id

    who, wanted = by or getpass.getuser(), request_id.lower()
    try:
        entry = folder_logbook(folder).operator_approve(wanted)
    except AmbiguousApproval:
        raise  # nothing approved: the operator must pick one entry by its id
    except KeycouncilError:
        entry = None  # no pending log entry: an id for the release path alone (as before the log)
    if entry is not None:
        click.echo(f"log entry {entry.id} ({entry.kind.label}, key {entry.key_id}, entry {entry.seq}) approved "
                   "by this member's operator; the member approves it when it is proposed again")
        click.echo(f"  by {entry.author.role.label} {entry.author.public_key.hex()[:16]}…  "
                   f"{_summary(entry.body.to_json())}")
        wanted = getattr(entry.body, "request_id", b"").hex()
        if not wanted:
            return
    rid = check_request_id(wanted)
    path = RequestBook(folder).approve(rid, who)
    ReleaseLog(folder).append(decision="approved", request_id=rid, by=who)
    click.echo(f"request {rid} approved ({path})")


@click.command("resume-log")
@click.argument("folder", type=DIR)
@click.option("--key-id", required=True, help="The key whose log forked (as in DIR/log/council/HALTED).")
@click.option("--keep-seq", type=int, required=True, help="The sequence number of the fork.")
@click.option("--entry", "entry_id", required=True, metavar="ID",
              help="The id of the entry to keep: one of the two entries of the fork, each with t approvals.")
@click.option("--by", default=None, help="Who decides (recorded; default: the login name).")
def resume_log_cmd(folder: Path, key_id: str, keep_seq: int, entry_id: str, by: str | None) -> None:
    """After a fork, keep entry ID at KEEP-SEQ on FOLDER's member and let it approve again.

    The member checks the choice against its copy of the log and the fork evidence (only one of
    the two entries of the fork, with t valid approvals, can be kept), records the decision and
    logs it; the running member applies it at its next council-log call (a stopped one when it
    starts and is next called)."""
    import getpass

    from council.node.log_book import folder_logbook

    book = folder_logbook(folder)
    evidence = book.fork_evidence()
    decision = book.decide_fork(key_id, keep_seq, entry_id, by or getpass.getuser())
    click.echo(f"fork at entry {decision.seq} of key {decision.key_id}: keeping {decision.keep}, dropping "
               f"{decision.drop} (decided by {decision.by}; {evidence.describe() if evidence else ''})")
    click.echo("decision recorded in the member's log folder (HALTED.decision, events.jsonl: log-fork-decided); "
               "the member checks it again and resumes at its next council-log call (log-fork-resolved)")


@click.group("backup")
def backup() -> None:
    """SLIP-39 backups of this member's share."""


def _group(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[int, int]]:
    out = []
    for v in values or ("2/3",):
        m, sep, n = v.partition("/")
        if not sep or not m.isdigit() or not n.isdigit() or not 1 <= int(m) <= int(n) <= 16:
            raise click.BadParameter(f"{v!r}: expected M/N with 1 <= M <= N <= 16")
        out.append((int(m), int(n)))
    return out


def _backup_passphrase(path: Path | None) -> bytes | None:
    if path is None:
        return None
    data = path.read_bytes().rstrip(b"\r\n")
    if not data:
        raise click.BadParameter(f"{path}: the file is empty", param_hint="--backup-passphrase-file")
    if any(not 32 <= b <= 126 for b in data):
        raise click.BadParameter(f"{path}: a SLIP-39 passphrase must be printable ASCII (32..126)",
                                 param_hint="--backup-passphrase-file")
    return data


@backup.command("export")
@click.argument("folder", type=DIR, envvar=MEMBER_FOLDER_ENV)
@click.option("--key-id", required=True, help="The key whose current share to back up.")
@click.option("--group-threshold", default=1, show_default=True, type=click.IntRange(1, 16),
              help="How many groups are needed.")
@click.option("--group", "groups", multiple=True, callback=_group, metavar="M/N",
              help="A group: M of N mnemonics (repeat; default 2/3).")
@click.option("--backup-passphrase-file", "backup_passphrase", type=ExistingFile,
              help="SLIP-39 passphrase (printable ASCII) for the mnemonics.")
@click.option("-o", "--out", "out_dir", type=PathArg, required=True, help="Folder for the backup files.")
@folder_passphrase
def export_cmd(folder: Path, key_id: str, group_threshold: int, groups: list[tuple[int, int]],
               backup_passphrase: Path | None, out_dir: Path, passphrase_file: Path | None) -> None:
    """Write FOLDER's current share of KEY as SLIP-39 mnemonic files (one 0600 file each)."""
    from council.node.backup import export_member_backup

    if group_threshold > len(groups):
        raise click.BadParameter(f"{plural(group_threshold, 'group')} needed but {len(groups)} given",
                                 param_hint="--group-threshold")
    slip = _backup_passphrase(backup_passphrase)
    rec, paths = export_member_backup(_open(folder, passphrase_file), key_id, out_dir, group_threshold,
                                      groups, slip)
    who = rec.roster.who(rec.member_index) if rec.member_index else "?"
    click.echo(f"member {who} of key {key_id} epoch {rec.epoch}: {plural(len(paths), 'backup file')} in "
               f"{out_dir}" + ("" if slip else " (INSECURE: no passphrase)"))
    for p in paths:
        click.echo(f"  {p.name}")


@backup.command("import")
@click.argument("folder", type=DIR)
@click.argument("files", nargs=-1, required=True, type=ExistingFile)
@click.option("--backup-passphrase-file", "backup_passphrase", type=ExistingFile,
              help="SLIP-39 passphrase of the backup (else asked, hidden, if the files need one).")
@folder_passphrase
def import_cmd(folder: Path, files: tuple[Path, ...], backup_passphrase: Path | None,
               passphrase_file: Path | None) -> None:
    """Restore FOLDER's share from backup FILES (stop the member first)."""
    from council.node.backup import import_member_backup
    from council.protocol.backup_file import BackupLabel

    def passphrase(label: BackupLabel) -> bytes:
        slip = _backup_passphrase(backup_passphrase)
        if slip is not None:
            return slip
        return click.prompt(f"passphrase of {label.describe()}", hide_input=True, err=True).encode()

    done = import_member_backup(_open(folder, passphrase_file), list(files), passphrase)
    click.echo(f"restored the share of member {done.who} of key {done.key_id} epoch {done.epoch} into "
               f"{folder}" + (" with its BN254 signing share" if done.signing_share else "")
               + (" (replacing the stored one)" if done.replaced else ""))


def _open(folder: Path, passphrase_file: Path | None) -> MemberFolder:
    from council.node.folder import MemberFolder, read_passphrase

    return MemberFolder.open(folder, read_passphrase(passphrase_file, insecure=True))


COMMANDS: list[click.Command] = [requests_cmd, pending_cmd, approve_cmd, resume_log_cmd, backup]
