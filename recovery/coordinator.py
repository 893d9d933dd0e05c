"""The recovery coordinator, network-agnostic (docs/recovery.md, "Recovery, step by step").

(1) choose the dump (recovery.choose); (2) build a request signed by the operator, and (2b) have
it accepted in the key's council log (an injected Ledger: the request is an entry that `t` members
approve, with an expiry); (3) ask every
member at once, with a deadline, through an injected MemberClient; (4) verify each share's proof,
drop and name bad ones; (5) combine `t` good shares; (6) stream-decrypt to a temporary file and
publish it at OUT only after the last check; (7) record each member's release in the log.
Target-bound mode stops after (3): the coordinator
relays the sealed shares in a TargetPackage and `finish_target` does (4)-(6) on the target, so the
coordinator never holds a decryption share in the clear, the shared point or the data key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from council.crypto import kem
from council.crypto.decryption import DecryptionShare, combine, combine_verified, open_from_target
from council.crypto.group import P256, Point, Scalar
from council.crypto.signing import Signer
from council.errors import KeycouncilError, NotEnoughShares, PolicyRefused
from council.log import AppHead, OlderDumpAllowed
from council.protocol.epoch import CouncilEpoch
from council.protocol.errors import RecoveryFailed
from council.protocol.recovery_request import RecoveryRequest, sign_request, verify_request
from council.protocol.shares import TargetBoundShare, context_of
from dumps.atomic import ensure_absent
from dumps.evidence import EvidenceChecker
from dumps.header import DumpHeader
from dumps.open import KeyProvider, open_dump
from dumps.stream import Progress as BytesProgress
from recovery.choose import ChosenDump
from recovery.gather import (
    Gathered,
    MemberClient,
    MemberEvent,
    Progress,
    ask_members,
    shortfall,
    verified_shares,
)
from recovery.package import TargetPackage

DEFAULT_DEADLINE_SECONDS = 30.0


class Ledger(Protocol):
    """The council log as recovery uses it (recovery.log_ledger over gRPC)."""

    def record_request(self, request: RecoveryRequest, deadline_seconds: float) -> str:
        """(2b) Append the request as an accepted entry, waiting for approvals until the deadline;
        RecoveryFailed naming whose approvals are missing otherwise. Returns a line for the report."""
        ...

    def record_releases(self, request: RecoveryRequest, members: Sequence[int],
                        sent: Mapping[int, bytes] | None = None) -> list[str]:
        """(7) Record the releases of the members used in the log (one shares-released entry), with
        the release statements members sent with their shares (`sent`, by index; the ledger checks
        them and asks the others); lines for the report."""
        ...

    def newest(self, key_id: str, app_id: str) -> AppHead | None:
        """(1b) The app's newest announced dump in the key's log (recovery.announced), or None."""
        ...

    def allow_older(self, key_id: str, body: OlderDumpAllowed, deadline_seconds: float) -> str:
        """(1b) Append the `--allow-older` decision, waiting for `t` approvals; a line for the report."""
        ...


@dataclass(frozen=True)
class RecoveryReport:
    """What happened: the dump, the request, who was used, who refused, who was dropped."""

    dump_name: str
    dump_version: int
    request_id: str
    used: tuple[int, ...]
    refused: dict[int, str] = field(default_factory=dict)
    unavailable: dict[int, str] = field(default_factory=dict)
    invalid: dict[int, str] = field(default_factory=dict)
    plaintext_length: int | None = None
    log: tuple[str, ...] = ()
    """What the council log recorded: the request entry, each release."""


def build_request(chosen: ChosenDump, council: CouncilEpoch, operator: Signer, now_unix_ms: int,
                  target_key: Point | None = None) -> RecoveryRequest:
    """Step (2): a request for the chosen dump under the council's current epoch."""
    header = chosen.candidate.dump.header
    if header.key_id != council.key_id:
        raise PolicyRefused(f"{chosen.name} is sealed to key {header.key_id}, the council epoch is of "
                            f"key {council.key_id}")
    return sign_request(operator, key_id=council.key_id, epoch=council.epoch, dump=chosen.reference,
                        app_id=header.app_id, dump_version=header.dump_version,
                        created_unix_ms=now_unix_ms, target_key=target_key)


def recover_to_file(chosen: ChosenDump, council: CouncilEpoch, operator: Signer, client: MemberClient,
                    out: Path, *, now_unix_ms: int, deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
                    progress: Progress | None = None, admit: EvidenceChecker | None = None,
                    bytes_progress: BytesProgress | None = None, ledger: Ledger | None = None) -> RecoveryReport:
    """Steps (1)-(7): recover the chosen dump's plaintext to `out` (nothing at `out` on failure);
    `bytes_progress` is told how many dump bytes each decrypted chunk took (progress bars)."""
    ensure_absent(out)
    request = build_request(chosen, council, operator, now_unix_ms)                   # (2)
    logged = [ledger.record_request(request, deadline_seconds)] if ledger else []     # (2b)
    gathered = ask_members(client, request, _members(council), deadline_seconds, progress)  # (3)
    header = chosen.candidate.dump.header
    good = verified_shares(request, council, header.kem(), gathered, progress)        # (4)
    if len(good) < council.threshold:
        raise RecoveryFailed(f"recovery of {chosen.name}: " + shortfall(council, gathered, len(good)))
    result = combine_verified(good, council.threshold)  # (5): step (4) checked every proof of `good`
    provider = _provider(header, result.shared_point, council.public_key)
    with chosen.open() as f:
        opened = open_dump(f, out, provider, admit, bytes_progress)                   # (6)
    if ledger:                                                                        # (7)
        logged += ledger.record_releases(request, result.used, sent_statements(client, request, result.used))
    return replace(_report(chosen, request, gathered, result.used, opened.plaintext_length), log=tuple(logged))


def recover_for_target(chosen: ChosenDump, council: CouncilEpoch, operator: Signer, client: MemberClient,
                       target_key: Point, *, now_unix_ms: int,
                       deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
                       progress: Progress | None = None,
                       ledger: Ledger | None = None) -> tuple[TargetPackage, RecoveryReport]:
    """Steps (1)-(3) for a target: gather sealed shares; the coordinator cannot open them."""
    request = build_request(chosen, council, operator, now_unix_ms, target_key)       # (2)
    logged = [ledger.record_request(request, deadline_seconds)] if ledger else []     # (2b)
    gathered = ask_members(client, request, _members(council), deadline_seconds, progress)  # (3)
    sealed = _sealed_only(gathered, progress)
    if len(sealed) < council.threshold:
        raise RecoveryFailed(f"target-bound recovery of {chosen.name}: "
                             + shortfall(council, gathered, len(sealed)).replace("valid decryption",
                                                                                 "sealed decryption"))
    package = TargetPackage(request, council, tuple(sealed))
    used = tuple(s.index for s in sealed)
    if ledger:                                                                        # (7)
        logged += ledger.record_releases(request, used, sent_statements(client, request, used))
    return package, replace(_report(chosen, request, gathered, used, None), log=tuple(logged))


def sent_statements(client: MemberClient, request: RecoveryRequest, used: Sequence[int]) -> dict[int, bytes]:
    """The release statements the members used sent with their shares, by index (checked by the ledger)."""
    sent = {i: client.statement(i, request.request_id) for i in used}
    return {i: s for i, s in sent.items() if s}


def _sealed_only(gathered: Gathered, progress: Progress | None) -> list[TargetBoundShare]:
    sealed = []
    for index, reply in sorted(gathered.replies.items()):
        if isinstance(reply, TargetBoundShare):
            sealed.append(reply)
        else:
            del gathered.replies[index]
            gathered.record(MemberEvent(index, "invalid", "returned an unsealed share to a "
                                        "target-bound request (dropped)"), progress)
    return sealed


def finish_target(package: TargetPackage, target_secret: Scalar, dump_path: Path, out: Path, *,
                  admit: EvidenceChecker | None = None,
                  expected_roster_digest: bytes | None = None) -> RecoveryReport:
    """On the target: steps (4)-(6) with the sealed shares of a package."""
    ensure_absent(out)
    request, council = package.request, package.council
    _check_package(package, target_secret, expected_roster_digest)
    header = request.dump.verify().header
    shares, culprits = _open_sealed(package, target_secret)                           # (4)
    try:
        result = combine(context_of(request), header.kem(), shares, council.verification_shares,
                         council.threshold)                                           # (5)
    except NotEnoughShares as exc:
        bad = "; ".join(f"member {i} ({why})" for i, why in sorted(culprits.items()))
        raise RecoveryFailed(f"target: {exc}" + (f"; undecryptable: {bad}" if bad else "")) from None
    opened = open_dump(dump_path, out, _provider(header, result.shared_point, council.public_key), admit)  # (6)
    return RecoveryReport(dump_path.name, header.dump_version, request.id_hex, result.used,
                          invalid={**culprits, **result.culprits}, plaintext_length=opened.plaintext_length)


def _check_package(package: TargetPackage, secret: Scalar, expected_roster_digest: bytes | None) -> None:
    request, council = package.request, package.council
    if expected_roster_digest is not None:
        council.bundle.verify(expected_roster_digest)
    verify_request(request, council.bundle.roster)
    if request.target_key is None or request.target_key != P256.base_mul(secret):
        raise PolicyRefused(f"recovery request {request.id_hex} is not bound to this target's key")
    if (request.key_id, request.epoch) != (council.key_id, council.epoch):
        raise PolicyRefused("the package's council epoch is not the one the request names")


def _open_sealed(package: TargetPackage, secret: Scalar) -> tuple[list[DecryptionShare], dict[int, str]]:
    request, shares, culprits = package.request, [], {}
    kem_ct = request.dump.verify().header.kem()
    for s in package.shares:
        try:
            shares.append(open_from_target(s.sealed, s.index, secret, context_of(request), kem_ct))
        except KeycouncilError as exc:
            culprits[s.index] = f"sealed share does not open: {exc}"
    return shares, culprits


def _provider(expected: DumpHeader, shared_point: Point, public_key: Point) -> KeyProvider:
    """The data key for exactly the dump the members were asked about."""
    def provide(header: DumpHeader, ciphertext: kem.KemCiphertext, label: bytes) -> bytes:
        if header != expected:
            raise PolicyRefused("the dump file changed since it was chosen: not the dump the members decrypted")
        return kem.derive_data_key(shared_point, ciphertext.r_point, public_key, label)
    return provide


def _members(council: CouncilEpoch) -> Sequence[int]:
    return sorted(council.verification_shares)


def _report(chosen: ChosenDump, request: RecoveryRequest, gathered: Gathered, used: tuple[int, ...],
            length: int | None) -> RecoveryReport:
    return RecoveryReport(chosen.name, chosen.version, request.id_hex, used, dict(gathered.refused),
                          dict(gathered.unavailable), dict(gathered.invalid), length)
