"""`keycouncil attest` (verify a DCAP quote offline) and `keycouncil policy` (edit admissions).

Thin: parsing and printing only; the work is in `council.attestation`. `attest verify`
prints one JSON object and exits 0 only when the quote verifies (1 otherwise, 2 for usage
errors). `policy` commands edit the admission policy file atomically and print it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from cli.log_entries import freeze_options, log_freeze
from council.attestation import policy as pol
from council.attestation.errors import QuoteVerificationError
from council.attestation.root import load_root, pinned_root
from council.attestation.verdict import Verdict
from council.attestation.verify import evaluate_quote
from council.errors import KeycouncilError

F = TypeVar("F", bound=Callable[..., Any])

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return pol.parse_time(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time with a zone "
                                 "(e.g. 2025-07-19T10:00:00Z)") from None


def _hex(size: int) -> Callable[[click.Context, click.Parameter, str | None], bytes | None]:
    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> bytes | None:
        if value is None:
            return None
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise click.BadParameter("not hex") from None
        if size and len(raw) != size:
            raise click.BadParameter(f"{len(raw)} bytes, want {size}")
        if not raw:
            raise click.BadParameter("empty")
        return raw
    return convert


def _clean_errors(command: F) -> F:
    """Turn keycouncil errors into a one-line click error (exit 1) when run standalone."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KeycouncilError as exc:
            raise click.ClickException(exc.diagnostics()) from None
    return wrapper  # type: ignore[return-value]


@click.group()
def attest() -> None:
    """Verify Intel SGX/TDX DCAP quotes offline."""


@attest.command("verify")
@click.argument("quote", type=_FILE)
@click.option("--collateral", "collateral_dir", type=_DIR, required=True,
              help="PCCS-style folder: tcb_info.json, qe_identity.json, CRLs, issuer chains.")
@click.option("--root", "root_file", type=_FILE, default=None,
              help="Trust anchor (DER); default: the pinned Intel SGX Root CA.")
@click.option("--at", "at", callback=_time, default=None,
              help="Verification time (ISO-8601, e.g. 2025-07-19T10:00:00Z); default: now.")
@click.pass_context
def verify_cmd(ctx: click.Context, quote: Path, collateral_dir: Path, root_file: Path | None,
               at: datetime | None) -> None:
    """Verify QUOTE against the collateral; print one JSON verdict; exit 0 iff it verifies."""
    at = at or datetime.now(UTC)
    try:
        root = load_root(root_file.read_bytes()) if root_file else pinned_root()
        verdict = evaluate_quote(quote.read_bytes(), collateral_dir, at, root)
    except QuoteVerificationError as exc:
        verdict = Verdict(verified=False, verified_at=at, failed_step=exc.step, message=str(exc))
    click.echo(json.dumps(verdict.to_json(), indent=2))
    ctx.exit(0 if verdict.verified else 1)


@click.group()
def policy() -> None:
    """Edit the TEE admission policy file (atomic writes; re-read on every decision)."""


def _show(p: pol.Policy) -> None:
    click.echo(json.dumps(pol.policy_to_json(p), indent=2))


def _edit(path: Path, edit: Callable[[pol.Policy], pol.Policy]) -> None:
    _show(pol.PolicyFile(path).update(edit))


@policy.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_clean_errors
def new_cmd(path: Path, force: bool) -> None:
    """Create PATH with the default policy: nothing allowed, only UpToDate accepted."""
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists (use --force to overwrite)")
    pol.write_policy(path, pol.Policy())
    _show(pol.read_policy(path))


@policy.command("show")
@click.argument("path", type=_FILE)
@_clean_errors
def show_cmd(path: Path) -> None:
    """Check and print the policy in PATH."""
    _show(pol.read_policy(path))


@policy.command("allow")
@click.argument("path", type=_FILE)
@click.option("--mrenclave", callback=_hex(32), help="SGX: allow this exact MRENCLAVE.")
@click.option("--mrsigner", callback=_hex(32), help="SGX: also require this MRSIGNER.")
@click.option("--isv-prod-id", type=click.IntRange(0, 0xFFFF), help="SGX: also require this ISVPRODID.")
@click.option("--mrtd", callback=_hex(48), help="TDX: allow this MRTD (with --rtmr0..3).")
@click.option("--rtmr0", callback=_hex(48))
@click.option("--rtmr1", callback=_hex(48))
@click.option("--rtmr2", callback=_hex(48))
@click.option("--rtmr3", callback=_hex(48))
@click.option("--note", default="", help="Why this measurement is allowed (release, ticket).")
@click.option("--tcb-status", "statuses", multiple=True, help="Accept this TCB status.")
@click.option("--advisory", "advisories", multiple=True, help="Stop forbidding this advisory.")
@click.option("--min-isv-svn", type=click.IntRange(0, 0xFFFF), help="Set the minimum SGX ISVSVN.")
@click.option("--debug", is_flag=True, help="Allow debug enclaves/TDs (never in production).")
@click.option("--simulated", is_flag=True, help="Allow simulated TEEs (development only).")
@_clean_errors
def allow_cmd(path: Path, mrenclave: bytes | None, mrsigner: bytes | None,
              isv_prod_id: int | None, mrtd: bytes | None, rtmr0: bytes | None,
              rtmr1: bytes | None, rtmr2: bytes | None, rtmr3: bytes | None, note: str,
              statuses: tuple[str, ...], advisories: tuple[str, ...], min_isv_svn: int | None,
              debug: bool, simulated: bool) -> None:
    """Allow a measurement, a TCB status, an advisory, debug or simulated TEEs."""
    rtmrs = (rtmr0, rtmr1, rtmr2, rtmr3)
    if (mrsigner or isv_prod_id is not None) and not mrenclave:
        raise click.UsageError("--mrsigner/--isv-prod-id need --mrenclave: MRSIGNER alone is never enough")
    if (mrtd or any(rtmrs)) and not (mrtd and all(rtmrs)):
        raise click.UsageError("a TD is allowed by --mrtd with all of --rtmr0..--rtmr3")
    if not (mrenclave or mrtd or statuses or advisories or debug or simulated or min_isv_svn is not None):
        raise click.UsageError("nothing to allow")
    for status in statuses:
        if status not in pol.TCB_STATUSES:
            raise click.BadParameter(f"unknown TCB status {status!r}", param_hint="--tcb-status")

    def edit(p: pol.Policy) -> pol.Policy:
        if mrenclave:
            p = pol.allow_sgx(p, pol.SgxAllow(mrenclave, mrsigner, isv_prod_id, note))
        if mrtd:
            p = pol.allow_tdx(p, pol.TdxAllow(mrtd, rtmrs, note))  # type: ignore[arg-type]
        for status in statuses:
            p = pol.accept_status(p, status)
        for advisory in advisories:
            p = pol.forbid_advisory(p, advisory, forbidden=False)
        return pol.set_options(p, debug=True if debug else None,
                                 simulated=True if simulated else None, min_isv_svn=min_isv_svn)
    _edit(path, edit)


@policy.command("deny")
@click.argument("path", type=_FILE)
@click.option("--mrenclave", callback=_hex(32), help="SGX: remove this MRENCLAVE from the allow-list.")
@click.option("--mrtd", callback=_hex(48), help="TDX: remove every entry with this MRTD.")
@click.option("--advisory", "advisories", multiple=True, help="Forbid this advisory (INTEL-SA-...).")
@click.option("--tcb-status", "statuses", multiple=True, help="Stop accepting this TCB status.")
@click.option("--debug", is_flag=True, help="Refuse debug enclaves/TDs again.")
@click.option("--simulated", is_flag=True, help="Refuse simulated TEEs again.")
@_clean_errors
def deny_cmd(path: Path, mrenclave: bytes | None, mrtd: bytes | None,
             advisories: tuple[str, ...], statuses: tuple[str, ...], debug: bool,
             simulated: bool) -> None:
    """Remove a measurement, forbid an advisory, stop accepting a status, debug or simulated."""
    if not (mrenclave or mrtd or advisories or statuses or debug or simulated):
        raise click.UsageError("nothing to deny")

    def edit(p: pol.Policy) -> pol.Policy:
        p = pol.deny_measurement(p, mrenclave=mrenclave, mrtd=mrtd)
        for advisory in advisories:
            p = pol.forbid_advisory(p, advisory)
        for status in statuses:
            p = pol.accept_status(p, status, accepted=False)
        return pol.set_options(p, debug=False if debug else None,
                                 simulated=False if simulated else None)
    _edit(path, edit)


@policy.command("freeze")
@click.argument("path", type=_FILE, required=False)
@click.option("--at", "at", callback=_time, default=None,
              help="Refuse verifications later than this time; without it, refuse all.")
@click.option("--reason", default="", help="Why (advisory id, incident ticket).")
@freeze_options
@_clean_errors
def freeze_cmd(path: Path | None, at: datetime | None, reason: str, **log: Any) -> None:
    """Freeze admissions at once: in the policy FILE, or through KEY's council log (--key-id)."""
    if _through_log(path, log):
        from council.driver.log_entries import freeze

        log_freeze(log, freeze(reason, at), lift=False)
        return
    assert path is not None
    _edit(path, lambda p: pol.freeze(p, at, reason))


@policy.command("unfreeze")
@click.argument("path", type=_FILE, required=False)
@click.option("--reason", default="", help="Why the freeze is lifted (logged).")
@freeze_options
@_clean_errors
def unfreeze_cmd(path: Path | None, reason: str, **log: Any) -> None:
    """Lift the admission freeze: in the policy FILE, or through KEY's log (widening: t approve)."""
    if _through_log(path, log):
        from council.driver.log_entries import unfreeze

        log_freeze(log, unfreeze(reason), lift=True)
        return
    assert path is not None
    _edit(path, pol.unfreeze)


def _through_log(path: Path | None, log: dict[str, Any]) -> bool:
    if (path is None) == (log["key_id"] is None):
        raise click.UsageError("give a policy FILE, or --key-id KEY --roster FILE for the council log")
    return path is None


@policy.command("revoke")
@click.argument("path", type=_FILE)
@click.option("--sealer-key", callback=_hex(0), required=True, help="Sealer public key (hex).")
@_clean_errors
def revoke_cmd(path: Path, sealer_key: bytes) -> None:
    """Refuse every future admission of a sealer public key."""
    _edit(path, lambda p: pol.revoke_sealer(p, sealer_key))
