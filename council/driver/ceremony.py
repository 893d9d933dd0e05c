"""The ceremony driver: relays signed messages between members, phase by phase, with deadlines.

The driver holds no secret and is not trusted: members rebuild the spec themselves and verify
every message. It (1) signs the request as an operator, (2) collects dealings, (3) relays them and
collects responses, (4) relays those and collects commit signatures and verdicts, (5a) relays the
commit signatures to the receivers, who store the new epoch and answer with a signed stored
confirmation, (5b) once t' receivers confirmed, relays the commit signatures and the confirmations
to every member, and old members erase their previous shares. With fewer than t' confirmations
nothing is erased and the ceremony can be resumed (`run_resume`) once the others are back.
Members that do not answer in time are named with the reason; the ceremony completes as long as
the protocol can (at least t dealers, t' commit signatures, t' stored confirmations).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from council.bundle import BundleError, KeyBundle
from council.crypto.judge import signed_by
from council.crypto.messages import CommitSignature, Dealing, EpochCommit, Kind, Response, Signed
from council.driver.ceremony_log import (
    LogNote,
    epoch_recorded,
    record_epoch,
    require_accepted_roster,
    start_log,
)
from council.driver.client import MemberClient, clients_for
from council.driver.log_client import AppendReport
from council.driver.operator import OperatorFolder
from council.driver.phases import DEFAULT_TIMING, PhaseResult, Timing, run_phase
from council.driver.query import QueryError, latest_epoch
from council.errors import CeremonyError, DecodeError
from council.protocol import stored as stored_proto
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.protocol.ceremony_wire import from_request
from council.protocol.gen import council_pb2 as pb
from council.roster import MemberCard, Roster

T = TypeVar("T")
PhaseHook = Callable[[str], None]
"""Called with the phase name ("deal", "check", "output", "finalize", "erase") before each phase."""
StartHook = Callable[["CeremonyReport"], None]
"""Called once before phase 1 with the (empty) report: the CLI prints the ceremony id there."""


@dataclass
class CeremonyReport:
    """What happened, in public terms."""

    kind: str
    key_id: str
    epoch: int
    ceremony_id: str
    committed: bool = False
    public_key: str = ""
    missing: dict[str, str] = field(default_factory=dict)
    disqualified: dict[str, str] = field(default_factory=dict)
    blamed: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    signers: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    """Receivers that confirmed they stored the new epoch (signed stored confirmations)."""
    erased: bool = False
    """True once t' receivers confirmed storage and old members were told to erase (a DKG: t' stored)."""
    needed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    failure: str = ""
    bundle: KeyBundle | None = None
    log: list[str] = field(default_factory=list)
    """What the council log says of this ceremony (genesis / epoch-committed entry)."""
    logged: bool | None = None
    """After a commit: whether the council log records the epoch (None: no log step ran)."""

    def to_json(self) -> dict[str, Any]:
        """The report's stable fields (docs/operators.md, "JSON output")."""
        return {"kind": self.kind, "key_id": self.key_id, "epoch": self.epoch,
                "ceremony_id": self.ceremony_id, "committed": self.committed,
                "erased": self.erased,
                "public_key": self.public_key or None, "failure": self.failure or None,
                "signers": list(self.signers), "missing": dict(self.missing), "logged": self.logged,
                "disqualified": dict(self.disqualified), "blamed": dict(self.blamed),
                "no_usable_share": dict(self.problems),
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}

    def lines(self) -> list[str]:
        """A human-readable account."""
        out = [f"{self.kind} of key {self.key_id!r} epoch {self.epoch} (ceremony {self.ceremony_id}): "
               + ("COMMITTED" if self.committed else f"NOT COMMITTED: {self.failure}")]
        if self.public_key:
            out.append(f"  public key: {self.public_key}")
        for title, items in (("missing", self.missing), ("disqualified", self.disqualified),
                             ("blamed", self.blamed), ("no usable share", self.problems)):
            out += [f"  {title}: {who}: {why}" for who, why in sorted(items.items())]
        if self.signers:
            out.append(f"  commit signed by: {', '.join(self.signers)}")
        if self.committed:
            out.append(f"  stored by: {', '.join(self.stored) or 'nobody'}")
            if not self.erased:
                out.append(f"  old shares kept: stored by {len(self.stored)} receivers, {self.needed} needed "
                           "before old shares are erased; once the others are back run "
                           f"`keycouncil ceremony resume --ceremony-id {self.ceremony_id}`")
        out.append("  phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))
        out += [f"  log: {line}" for line in self.log]
        if self.logged is False:
            out.append(f"  the council log does NOT record epoch {self.epoch} yet (the next re-share needs it): once "
                       f"the members named above answer, run `keycouncil ceremony resume --ceremony-id "
                       f"{self.ceremony_id}` again")
        return out

    def done(self) -> bool:
        """Committed, old shares erased, and the epoch in the council log: nothing left to resume."""
        return self.committed and self.erased and self.logged is not False


@dataclass
class _Run:
    """A ceremony in progress on the driver side."""

    req: SignedRequest
    dealers: Roster
    receivers: Roster
    clients: dict[bytes, MemberClient]
    timing: Timing
    hook: PhaseHook | None
    report: CeremonyReport

    @property
    def pb_request(self) -> pb.CeremonyRequest:
        return from_request(self.req)

    def name(self, key: bytes) -> str:
        return self.clients[key].card.name

    def phase(self, name: str, members: list[bytes], fn: Callable[[Any, float], T]) -> PhaseResult[T]:
        if self.hook is not None:
            self.hook(name)
        start = time.monotonic()
        res = run_phase(self.clients, members, fn, self.timing)
        self.report.seconds[name] = time.monotonic() - start
        for key, failure in res.failures.items():
            self.report.missing.setdefault(self.name(key), f"{name}: {failure}")
        return res


def run_dkg(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing = DEFAULT_TIMING,
            hook: PhaseHook | None = None, on_start: StartHook | None = None,
            signing_key: bool = False) -> CeremonyReport:
    """A fresh key for `roster`; `signing_key`: with the council's BN254 signing key too."""
    request = StartRequest(Kind.DKG, secrets.token_bytes(16), key_id, roster, signing_key=signing_key)
    report = _drive(SignedRequest.create(request, operator.identity.signer), operator, timing, hook, _phases,
                    on_start)
    _log_committed(report, request, operator, timing)
    return report


def run_reshare(old: Roster, new: Roster, key_id: str, operator: OperatorFolder,
                timing: Timing = DEFAULT_TIMING, hook: PhaseHook | None = None,
                on_start: StartHook | None = None, signing_key: bool = False) -> CeremonyReport:
    """New shares of `key_id`'s current epoch (committed by `old`) for the committee `new`; a BN254
    signing key of the epoch is carried, and `signing_key` makes one if the epoch has none."""
    require_accepted_roster(old, new, key_id, operator, timing)
    previous = latest_epoch(old, key_id, operator, timing, pinned=old.digest())
    request = StartRequest(Kind.RESHARE, secrets.token_bytes(16), key_id, new, old, previous.data,
                           signing_key=signing_key and previous.data.bn254 is None)
    report = _drive(SignedRequest.create(request, operator.identity.signer), operator, timing, hook, _phases,
                    on_start)
    _log_committed(report, request, operator, timing)
    return report


def _log_committed(report: CeremonyReport, request: StartRequest, operator: OperatorFolder,
                   timing: Timing) -> None:
    """The council-log step after a commit, the same for a ceremony driven through and a resumed
    one: a DKG's genesis entry, a re-share's epoch-committed entry (each appended once: when the
    log already records the epoch, nothing is appended)."""
    if not report.committed or report.bundle is None:
        return
    c = report.bundle.commit
    logged: AppendReport | LogNote
    if request.kind is Kind.DKG:
        logged = start_log(request.new_roster, request.key_id, c.public_key.to_bytes(), c.transcript_digest,
                           operator, timing)
    else:
        assert request.old_roster is not None
        logged = record_epoch(request.old_roster, request.new_roster, request.key_id, operator, timing,
                              report.signers, c.epoch)
    report.log.append(logged.summary())
    report.logged = epoch_recorded(logged)


def drive_signed(req: SignedRequest, operator: OperatorFolder, timing: Timing = DEFAULT_TIMING) -> CeremonyReport:
    """Drive an already signed request through every phase, with none of the client-side council-log
    steps: what a rogue or modified driver can do. Members must refuse it on their own (the demo and
    the attack tests use it to show that they do)."""
    return _drive(req, operator, timing, None, _phases)


def run_resume(roster: Roster, ceremony_id: bytes, operator: OperatorFolder, timing: Timing = DEFAULT_TIMING,
               hook: PhaseHook | None = None, on_start: StartHook | None = None) -> CeremonyReport:
    """Finish a ceremony whose driver stopped after members signed its commit, from any later point:
    relay the responses the members recorded again, collect the (same) commit signatures (members
    that already stored the epoch answer with what they stored), store, confirm, erase. Members that
    signed a commit sign no other for that epoch, so this is how such an epoch gets committed."""
    req, responses = recorded_ceremony(roster, ceremony_id, operator, timing)
    if not responses:
        raise QueryError(f"no member of the roster reached the output phase of ceremony {ceremony_id.hex()}: "
                         "nothing was signed, start a new ceremony instead")
    report = _drive(req, operator, timing, hook,
                    lambda run: _output_and_finalize(run, responses, list(run.clients)), on_start)
    _log_committed(report, req.request, operator, timing)
    return report


def recorded_ceremony(roster: Roster, ceremony_id: bytes, operator: OperatorFolder,
                      timing: Timing) -> tuple[SignedRequest, list[Signed]]:
    """The operator-signed request and the relayed responses, as the members recorded them."""
    clients = clients_for(list(roster.members), operator)
    try:
        res = run_phase(clients, list(clients), lambda s, t: s.GetCeremony(
            pb.GetCeremonyRequest(ceremony_id=ceremony_id), timeout=t), timing)
    finally:
        for c in clients.values():
            c.close()
    req: SignedRequest | None = None
    responses: list[Signed] = []
    for reply in res.answers.values():
        req = req or SignedRequest.parse(reply.request.body, reply.request.operator_key, reply.request.signature)
        if reply.responses and not responses:
            responses = [Signed.from_bytes(b) for b in reply.responses]
    if req is None:
        raise QueryError(f"no member of the roster knows ceremony {ceremony_id.hex()}")
    return req, responses


def _drive(req: SignedRequest, operator: OperatorFolder, timing: Timing, hook: PhaseHook | None,
           phases: Callable[[_Run], None], on_start: StartHook | None = None) -> CeremonyReport:
    request = req.request
    dealers = request.old_roster or request.new_roster
    report = CeremonyReport(request.kind.value, request.key_id, request.epoch, request.ceremony_id.hex())
    report.needed = request.new_roster.threshold
    if on_start is not None:
        on_start(report)
    cards: list[MemberCard] = [*request.new_roster.members, *dealers.members]
    run = _Run(req, dealers, request.new_roster, clients_for(cards, operator), timing, hook, report)
    try:
        phases(run)
    except CeremonyError as exc:
        report.failure = str(exc)
    finally:
        for c in run.clients.values():
            c.close()
    return report


def _phases(run: _Run) -> None:
    deal_request = pb.DealRequest(request=run.pb_request)
    everyone = list(run.clients)
    deal = run.phase("deal", everyone, lambda s, t: s.Deal(deal_request, timeout=t))
    dealings = _messages(run, deal.answers, "dealing", run.dealers, Dealing.KIND)
    _require(len(dealings) >= run.dealers.threshold,
             f"{len(dealings)} dealings received, {run.dealers.threshold} needed")
    check_request = pb.CheckRequest(request=run.pb_request, dealings=[d.to_bytes() for d in dealings])
    check = run.phase("check", list(deal.answers), lambda s, t: s.Check(check_request, timeout=t))
    _output_and_finalize(run, _messages(run, check.answers, "response", run.receivers, Response.KIND),
                         list(check.answers))


def _output_and_finalize(run: _Run, responses: list[Signed], members: list[bytes]) -> None:
    pr = run.pb_request
    output_request = pb.OutputRequest(request=pr, responses=[r.to_bytes() for r in responses])
    output = run.phase("output", members, lambda s, t: s.Output(output_request, timeout=t))
    commits = [c.to_bytes() for c in _record_output(run, output.answers)]
    receivers = {m.signing_key for m in run.receivers.members}
    # 5a: receivers store the epoch and confirm it.
    finalize_request = pb.FinalizeRequest(request=pr, commit_signatures=commits)
    fin = run.phase("finalize", [k for k in output.answers if k in receivers],
                    lambda s, t: s.Finalize(finalize_request, timeout=t))
    proof = _record_stored(run, fin.answers)
    if len(proof) < run.receivers.threshold:
        return  # nothing is erased: epoch e stays whole until t' receivers stored e+1
    if run.req.request.kind is Kind.DKG:
        run.report.erased = True
        return
    # 5b: with t' confirmations every member stores (dealers only the public record) and erases.
    erase_request = pb.FinalizeRequest(request=pr, commit_signatures=commits, stored_confirmations=proof)
    run.phase("erase", list(output.answers), lambda s, t: s.Finalize(erase_request, timeout=t))
    run.report.erased = True


def _record_stored(run: _Run, answers: dict[bytes, pb.FinalizeReply]) -> list[bytes]:
    """The valid stored confirmations (one per receiver), and who gave them, in the report."""
    rep = run.report
    if rep.bundle is None:
        return []
    msgs = []
    for a in answers.values():
        try:
            msgs.append(Signed.from_bytes(a.stored_confirmation))
        except (DecodeError, ValueError):
            continue  # an empty or damaged confirmation counts for nothing
    valid = stored_proto.valid_confirmations(rep.bundle.commit, run.receivers, msgs)
    rep.stored = [run.receivers.member(i).name for i in sorted(valid)]
    return [valid[i].to_bytes() for i in sorted(valid)]


def _messages(run: _Run, answers: dict[bytes, Any], field_name: str, roster: Roster, kind: str) -> list[Signed]:
    """The signed messages to relay: each answer's, if it decodes and the member that gave it
    signed it in its own name; any other is left out and named in the report (members would
    ignore it anyway: judge.signed_by), so one member's garbage never stops the ceremony."""
    out = []
    for key, reply in answers.items():
        raw = getattr(reply, field_name)
        if not raw:
            continue
        message, why = _own_message(raw, key, roster, kind)
        if message is None:
            run.report.missing.setdefault(run.name(key), f"its {field_name} {why}")
        else:
            out.append(message)
    return out


def _own_message(raw: bytes, key: bytes, roster: Roster, kind: str) -> tuple[Signed | None, str]:
    """`raw` decoded, if it is a `kind` signed by the member with signing key `key`; else None and why."""
    try:
        message = Signed.from_bytes(raw)
    except (DecodeError, ValueError) as exc:
        return None, f"does not decode: {exc}"
    if message.sender != roster.index_of(key):
        return None, f"names member {message.sender}, not the member that sent it"
    if not signed_by(roster.committee(), message, kind):
        return None, "is not signed by the member that sent it"
    return message, ""


def _require(ok: bool, why: str) -> None:
    if not ok:
        raise CeremonyError(why)


def _record_output(run: _Run, answers: dict[bytes, pb.OutputReply]) -> list[Signed]:
    """Verdicts from the members' output, the commit signatures, and the verified bundle."""
    rep = run.report
    commits: dict[bytes, list[Signed]] = {}
    for key, reply in answers.items():
        _verdicts(rep.disqualified, run.dealers, reply.disqualified)
        _verdicts(rep.blamed, run.receivers, reply.blamed)
        if reply.share_problem:
            rep.problems[run.name(key)] = reply.share_problem
        if reply.commit_signature:
            sig, why = _own_message(reply.commit_signature, key, run.receivers, EpochCommit.KIND)
            if sig is None or sig.body != reply.commit:
                rep.missing.setdefault(run.name(key), f"its commit signature {why or 'is over another commit'}")
                continue
            commits.setdefault(reply.commit, []).append(sig)
    _require(bool(commits), "no member signed a commit: "
             + "; ".join(f"{n}: {why}" for n, why in sorted(rep.missing.items())))
    body, sigs = max(commits.items(), key=lambda kv: len(kv[1]))
    commit = EpochCommit.from_bytes(body)
    bundle = KeyBundle(commit, tuple(CommitSignature(s.sender, s.signature) for s in sigs), run.receivers)
    try:
        bundle.verify(run.receivers.digest())
    except BundleError as exc:
        raise CeremonyError(f"commit not signed by enough receivers: {exc}") from None
    rep.committed, rep.bundle = True, bundle
    rep.public_key = commit.public_key.to_bytes().hex()
    rep.signers = [run.receivers.member(s.sender).name for s in sigs]
    return sigs


def _verdicts(into: dict[str, str], roster: Roster, verdicts: Sequence[pb.Verdict]) -> None:
    for v in verdicts:
        name = roster.member(v.member).name if 1 <= v.member <= len(roster.members) else f"#{v.member}"
        into.setdefault(f"member {v.member} ({name})", v.reason)
