"""The member node: drives its own Participant through a ceremony, persisting before answering.

Each phase call (deal, check, output, finalize) is idempotent: a repeated call returns the answer
already given. State is written to `ceremonies/<id>/` before any answer leaves the node, so a
member killed at any point resumes from its files (council.node.ceremony_store). The new epoch is
stored once `t'` receivers signed the same commit; only then does an old member erase its
previous shares, so a crash leaves the old or the new epoch usable, never neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from council import __version__
from council.crypto.ceremony import Outcome, Participant, State
from council.crypto.messages import EpochCommit, Signed, sign
from council.crypto.output import receiver_share
from council.crypto.transcript import Transcript, check_transcript
from council.errors import CeremonyError, KeycouncilError, ShareInvalid
from council.log import Entry, EpochCommitted, Genesis
from council.node.ceremony_store import CeremonyDir, in_flight
from council.node.events import EventLog
from council.node.folder import MemberFolder
from council.node.governance import load_governance
from council.node.keystore import EpochRecord, KeyStore
from council.node.log_book import LogBook
from council.node.release.records import ReleaseLog
from council.node.results import FinalizeResult, KeyStatus, NodeStatus, OutputResult
from council.node.served import committed_unix_ms, follow_committed
from council.node.spec import Roles, authorise, build_roles
from council.protocol.ceremony_request import SignedRequest
from council.roster import Roster
from council.storage.identity import cert_der

DealingHook = Callable[[Participant, Signed], Signed]
"""Test-only: rewrite this member's dealing before it is persisted and sent (a malicious dealer)."""


@dataclass
class MemberNode:
    """One member's ceremony and key service, independent of gRPC."""

    folder: MemberFolder
    served: Roster
    log: EventLog
    dealing_hook: DealingHook | None = None
    after_persist: Callable[[str], None] | None = None
    """Test-only: called with the phase name once its state is on disk, before the answer."""
    store: KeyStore = field(init=False)
    logbook: LogBook = field(init=False)
    _live: dict[bytes, tuple[Participant, CeremonyDir]] = field(init=False, default_factory=dict)
    _lock: threading.RLock = field(init=False, default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.store = KeyStore(self.folder.path / "keys", self.folder.vault,
                              self.folder.identity.signer.public_key)
        self.logbook = LogBook(self.folder.path / "log" / "council", self.folder.identity.signer, self.log,
                               lambda: load_governance(self.folder.path), self.witness)

    # The council log --------------------------------------------------------------------------
    def witness(self, entry: Entry) -> str | None:
        """What this member knows better than the log: an epoch entry must match its stored epoch."""
        body = entry.body
        if isinstance(body, Genesis):
            return self._matches_epoch(entry.key_id, body.epoch, body.roster.digest(), body.transcript_digest,
                                       body.public_key)
        if isinstance(body, EpochCommitted):
            return self._matches_epoch(entry.key_id, body.epoch, body.roster_digest, body.transcript_digest, None)
        return None

    def _matches_epoch(self, key_id: str, epoch: int, roster_digest: bytes, transcript_digest: bytes,
                       public_key: bytes | None) -> str | None:
        if epoch not in self.store.epochs(key_id):
            return f"this member holds no committed epoch {epoch} of key {key_id!r} to witness"
        c = self.store.record(key_id, epoch).commit
        if c.roster_digest != roster_digest or c.transcript_digest != transcript_digest or (
                public_key is not None and c.public_key.to_bytes() != public_key):
            return f"key {key_id!r} epoch {epoch}: the entry differs from the commit this member stored"
        return None

    def epoch_entry(self, key_id: str) -> EpochCommitted:
        """The epoch-committed body for this member's newest stored epoch of `key_id`."""
        rec = self.epoch_record(key_id, None)
        return EpochCommitted(rec.epoch, rec.commit.roster_digest, rec.commit.transcript_digest)

    def released(self, key_id: str, request_id: bytes) -> bool:
        """True if this member's release log records a share released for `request_id`."""
        wanted = request_id.hex()
        return any(e.get("decision") == "released" and e.get("request_id") == wanted and e.get("key_id") == key_id
                   for e in ReleaseLog(self.folder.path).entries())

    def after_log_append(self, record: bytes) -> None:
        """Act on what an accepted entry changes on this member (retirement erases, see `retire_due`)."""
        self.retire_due()

    def retire_due(self) -> list[str]:
        """Erase every share of each retired key whose waiting period has passed here."""
        erased = []
        for key_id in self.logbook.key_ids():
            state = self.logbook.state(key_id)
            if state.erase_due(self.logbook.clock()) and self.store.epochs(key_id):
                for e in self.store.epochs(key_id):
                    if self.store.erase_share(key_id, e):
                        self.log.event("share-erased", key_id=key_id, epoch=e, reason="key retired")
                erased.append(key_id)
        return erased

    # Trust ---------------------------------------------------------------------------------------
    def trusted_rosters(self) -> list[Roster]:
        """The served roster and the roster of every key's current epoch."""
        out = [self.served]
        for key_id in self.store.key_ids():
            rec = self.store.current(key_id)
            if rec is not None and rec.roster.digest() not in {r.digest() for r in out}:
                out.append(rec.roster)
        return out

    def peer_certs(self) -> dict[str, bytes]:
        """DER certificate of every member and operator of a trusted roster, by signing key (hex)."""
        out: dict[str, bytes] = {}
        for r in self.trusted_rosters():
            parties = [(m.signing_key, m.tls_cert, m.name) for m in r.members]
            parties += [(o.signing_key, o.tls_cert, o.name) for o in r.operators]
            for signing_key, cert, name in parties:
                out[signing_key.hex()] = cert_der(cert, f"roster entry {name!r}")
        return out

    def startup_check(self) -> list[tuple[str, int, bool]]:
        """Check every stored share (a bad one raises StorageError) and report what is held."""
        held = self.store.verify_all()
        for key_id, epoch, holds in held:
            self.log.event("key-loaded", key_id=key_id, epoch=epoch, holds_share=holds)
        return held

    # Phases --------------------------------------------------------------------------------------
    def deal(self, req: SignedRequest, peer: bytes | None) -> Signed | None:
        """Step 1: start (or resume) the ceremony and return this member's dealing."""
        with self._lock:
            p, d = self._participant(req, peer, create=True)
            if p.state is State.INIT:
                dealing = self._run(p, d, lambda: p.deal())
                if dealing is not None and self.dealing_hook is not None:
                    dealing = self.dealing_hook(p, dealing)
                d.save_messages("dealing", [dealing] if dealing else [])
                self.log.event("dealt", ceremony=d.path.name, key_id=p.spec.key_id, epoch=p.spec.epoch)
                self._persisted("deal")
            own = d.load_messages("dealing")
            return own[0] if own else None

    def check(self, req: SignedRequest, peer: bytes | None, dealings: Sequence[Signed]) -> Signed | None:
        """Step 2: check own shares in the relayed dealings; return the response."""
        with self._lock:
            p, d = self._participant(req, peer, create=False)
            if p.state is State.DEALT:
                response = self._run(p, d, lambda: p.check(dealings))
                d.save_messages("dealings", dealings)
                d.save_messages("response", [response] if response else [])
                self.log.event("checked", ceremony=d.path.name, dealings=len(dealings))
                self._persisted("check")
            own = d.load_messages("response") if d.has("response") else ()
            return own[0] if own else None

    def output(self, req: SignedRequest, peer: bytes | None, responses: Sequence[Signed]) -> OutputResult:
        """Steps 3-5: judge, compute the output, sign the commit."""
        with self._lock:
            p, d = self._participant(req, peer, create=False)
            if p.state is State.DEALT:
                raise CeremonyError(f"ceremony {d.path.name}: this member has not checked the dealings")
            if p.state is State.CHECKED:
                d.save_messages("responses", responses)
                self._run(p, d, lambda: p.output(responses))
                self.log.event("output", ceremony=d.path.name,
                               disqualified=_named(p.outcome.judgement.disqualified) if p.outcome else "")
                self._persisted("output")
            return self._output_result(p, d)

    def finalize(self, req: SignedRequest, peer: bytes | None, commits: Sequence[Signed]) -> FinalizeResult:
        """Step 5: once t' receivers signed the commit, store the new epoch and erase old shares."""
        with self._lock:
            d = CeremonyDir(self.folder.path / "ceremonies", req.request.ceremony_id)
            if d.state()["state"] == "done" or self._already_stored(req):
                return self._settle(req, peer, d)
            p, d = self._participant(req, peer, create=False)
            if p.state is not State.OUTPUT:
                raise CeremonyError(f"ceremony {d.path.name}: no output to finalize (state {p.state.name})")
            d.save_messages("commits", commits)
            try:
                outcome = p.finalize(commits)
            except CeremonyError:
                self._live.pop(req.request.ceremony_id, None)  # rebuilt from files on the next call
                raise
            return self._commit(req, p, d, outcome)

    # Outcome -------------------------------------------------------------------------------------
    def _already_stored(self, req: SignedRequest) -> bool:
        """True if this very ceremony's epoch is stored here (a crash may have come between
        storing it and marking the ceremony done)."""
        r = req.request
        if r.epoch not in self.store.epochs(r.key_id):
            return False
        stored = self.store.epoch_dir(r.key_id, r.epoch) / "request.bin"
        return SignedRequest.from_bytes(stored.read_bytes()).request.ceremony_id == r.ceremony_id

    def _signed_elsewhere(self, p: Participant) -> str | None:
        """Another ceremony of the same key and epoch whose commit this member signed (it keeps
        `signed.bin`): a member signs one commit per epoch, so two ceremonies never both commit it."""
        root = self.folder.path / "ceremonies"
        for path in sorted(root.iterdir()) if root.exists() else ():
            if path.name == p.spec.ceremony_id.hex() or not (path / "signed.bin").exists():
                continue
            other = CeremonyDir(root, bytes.fromhex(path.name))
            if other.state()["state"] == "failed":
                continue
            r = SignedRequest.from_bytes(other.load("request")).request
            if r.key_id == p.spec.key_id and r.epoch == p.spec.epoch:
                return path.name
        return None

    def _settle(self, req: SignedRequest, peer: bytes | None, d: CeremonyDir) -> FinalizeResult:
        """Finish what a crash interrupted: erase older shares, mark the ceremony done."""
        authorise(req, self.trusted_rosters(), peer, self.peer_certs())
        erased = self._erase_older(req.request.key_id, req.request.epoch)
        if d.path.exists() and d.state()["state"] != "done":
            d.set_state("done")
        self._live.pop(req.request.ceremony_id, None)
        return self._where(req.request.key_id, erased)

    def _commit(self, req: SignedRequest, p: Participant, d: CeremonyDir, outcome: Outcome) -> FinalizeResult:
        dealings, responses = p.transcript
        transcript = Transcript(dealings, responses, tuple(_commit_messages(p, outcome)))
        rec = EpochRecord(req.request.new_roster, outcome.commit, outcome.signatures,
                          dict(outcome.public.verification_shares), p.receiver_index, outcome.share is not None)
        if outcome.commit.epoch not in self.store.epochs(outcome.commit.key_id):
            self.store.store(rec, outcome.share, req.to_bytes(), transcript.to_bytes())
            self._persisted("stored")
        erased = self._erase_older(outcome.commit.key_id, outcome.commit.epoch)
        d.set_state("done")
        self._live.pop(req.request.ceremony_id, None)
        self.log.event("committed", ceremony=d.path.name, key_id=outcome.commit.key_id,
                       epoch=outcome.commit.epoch, holds_share=rec.holds_share, erased_previous=erased,
                       share_problem=outcome.share_problem or "")
        follow_committed(self, rec)
        return FinalizeResult(True, outcome.commit.epoch, rec.holds_share, erased)

    def _erase_older(self, key_id: str, epoch: int) -> bool:
        """Erase every older share of the key, and close ceremonies that can no longer commit."""
        self._supersede(key_id, epoch)
        erased = False
        for e in self.store.epochs(key_id):
            if e < epoch and self.store.erase_share(key_id, e):
                self.log.event("share-erased", key_id=key_id, epoch=e)
                erased = True
        return erased

    def _supersede(self, key_id: str, epoch: int) -> None:
        root = self.folder.path / "ceremonies"
        for name in in_flight(root):
            other = CeremonyDir(root, bytes.fromhex(name))
            if not other.has("request"):
                continue
            req = SignedRequest.from_bytes(other.load("request"))
            r = req.request
            if r.key_id == key_id and r.epoch <= epoch and not self._already_stored(req):
                other.set_state("superseded", f"key {key_id!r} epoch {epoch} was committed by another ceremony")
                self._live.pop(r.ceremony_id, None)
                self.log.event("ceremony-superseded", ceremony=name, key_id=key_id, epoch=epoch)

    def catch_up(self, req: SignedRequest, peer: bytes | None, transcript_bytes: bytes) -> FinalizeResult:
        """Take a committed ceremony this member missed: derive its share from the transcript."""
        with self._lock:
            r = req.request
            ceremony = CeremonyDir(self.folder.path / "ceremonies", r.ceremony_id)
            if self._already_stored(req):
                return self._settle(req, peer, ceremony)
            authorise(req, self.trusted_rosters(), peer, self.peer_certs())
            roles = build_roles(req, self.store, self.served, self.logbook, catching_up=True)
            transcript = Transcript.from_bytes(transcript_bytes)
            report = check_transcript(roles.spec, transcript)
            if not report.committed:
                raise CeremonyError(f"key {r.key_id!r} epoch {r.epoch}: transcript has "
                                    f"{len(report.signers)} commit signatures, {report.commit.threshold} needed")
            share, problem = None, None
            secret = self.folder.identity.encryption_secret
            if roles.receiver_index is not None and secret is not None:
                try:
                    share = receiver_share(roles.spec, report.judgement, report.public,
                                           roles.receiver_index, secret)
                except ShareInvalid as exc:
                    problem = str(exc)
            rec = EpochRecord(r.new_roster, report.commit, report.signers, dict(report.verification_shares),
                              roles.receiver_index, share is not None)
            self.store.store(rec, share, req.to_bytes(), transcript.to_bytes())
            erased = self._erase_older(r.key_id, r.epoch)
            if ceremony.path.exists():
                ceremony.set_state("done")
            self._live.pop(r.ceremony_id, None)
            self.log.event("caught-up", key_id=r.key_id, epoch=r.epoch, holds_share=share is not None,
                           share_problem=problem or "", erased_previous=erased)
            follow_committed(self, rec)
            return FinalizeResult(True, r.epoch, share is not None, erased)

    # Queries -------------------------------------------------------------------------------------
    def epoch_record(self, key_id: str, epoch: int | None) -> EpochRecord:
        """The public data of one epoch (the current one if `epoch` is None)."""
        rec = self.store.current(key_id) if epoch is None else (
            self.store.record(key_id, epoch) if epoch in self.store.epochs(key_id) else None)
        if rec is None:
            raise CeremonyError(f"this member holds no committed epoch of key {key_id!r}"
                                + ("" if epoch is None else f" numbered {epoch}"))
        return rec

    def transcript(self, key_id: str, epoch: int) -> tuple[bytes, bytes]:
        """The stored request and transcript of the ceremony that created `key_id` epoch `epoch`."""
        self.epoch_record(key_id, epoch)
        folder = self.store.epoch_dir(key_id, epoch)
        return (folder / "request.bin").read_bytes(), (folder / "transcript.bin").read_bytes()

    def ceremony(self, ceremony_id: bytes) -> tuple[bytes, tuple[Signed, ...], str]:
        """A ceremony's stored request (SignedRequest bytes), responses, and state."""
        d = CeremonyDir(self.folder.path / "ceremonies", ceremony_id)
        if len(ceremony_id) != 16 or not d.has("request"):
            raise CeremonyError(f"no ceremony {ceremony_id.hex()} on this member")
        responses = d.load_messages("responses") if d.has("responses") else ()
        return d.load("request"), responses, d.state()["state"]

    def status(self) -> NodeStatus:
        """Name, version, keys with their current epoch, ceremonies in flight."""
        keys = []
        for key_id in self.store.key_ids():
            rec = self.store.current(key_id)
            if rec is not None:
                keys.append(KeyStatus(key_id, rec.epoch, rec.holds_share, rec.commit.public_key.to_bytes(),
                                      rec.commit.roster_digest, committed_unix_ms(self.store, rec),
                                      rec.member_index or 0))
        return NodeStatus(self.folder.name, __version__, tuple(keys),
                          tuple(in_flight(self.folder.path / "ceremonies")), self.folder.vault.insecure,
                          self.served.digest())

    # Helpers -------------------------------------------------------------------------------------
    def _roles(self, req: SignedRequest) -> Roles:
        return build_roles(req, self.store, self.served, self.logbook)

    def _participant(self, req: SignedRequest, peer: bytes | None, create: bool) -> tuple[Participant, CeremonyDir]:
        """The live participant of this ceremony, rebuilt from its files after a restart."""
        name = authorise(req, self.trusted_rosters(), peer, self.peer_certs())
        cid = req.request.ceremony_id
        d = CeremonyDir(self.folder.path / "ceremonies", cid)
        state = d.state()
        if state["state"] != "in-flight":
            raise CeremonyError(f"ceremony {cid.hex()} is {state['state']} on this member {state.get('reason', '')}".strip())
        if cid in self._live:
            return self._live[cid]
        if d.has("request"):
            if SignedRequest.from_bytes(d.load("request")).raw != req.raw:
                raise CeremonyError(f"ceremony {cid.hex()}: a different request under the same id")
        elif not create:
            raise CeremonyError(f"ceremony {cid.hex()} was not started on this member")
        p = self._new_participant(self._roles(req))
        if not d.has("request"):
            d.save("request", req.to_bytes())
            self.log.event("ceremony-started", ceremony=cid.hex(), kind=req.request.kind.value,
                           key_id=req.request.key_id, epoch=req.request.epoch, operator=name)
        self._resume(p, d)
        self._live[cid] = (p, d)
        return p, d

    def _new_participant(self, roles: Roles) -> Participant:
        ident = self.folder.identity
        assert ident.encryption_secret is not None
        try:
            return Participant(roles.spec, ident.signer, ident.encryption_secret, roles.dealer_index,
                               roles.receiver_index, roles.dealer_share)
        except ValueError as exc:
            raise CeremonyError(f"this member's keys do not match its roster entry: {exc}") from None

    def _resume(self, p: Participant, d: CeremonyDir) -> None:
        """Replay the persisted phases (resume hooks of the core; output is deterministic)."""
        if d.has("dealing"):
            own = d.load_messages("dealing")
            p.adopt_dealing(own[0] if own else None)
        if d.has("response"):
            own = d.load_messages("response")
            p.adopt_response(d.load_messages("dealings"), own[0] if own else None)
        if d.has("responses"):
            self._run(p, d, lambda: p.output(d.load_messages("responses")))

    def _run(self, p: Participant, d: CeremonyDir, step: Callable[[], Signed | None]) -> Signed | None:
        """Run a phase; a protocol failure is recorded so the member never uses that ceremony."""
        try:
            return step()
        except KeycouncilError as exc:
            p.fail(str(exc))
            d.set_state("failed", str(exc))
            self._live.pop(p.spec.ceremony_id, None)
            self.log.event("ceremony-failed", ceremony=d.path.name, reason=str(exc))
            raise

    def _output_result(self, p: Participant, d: CeremonyDir) -> OutputResult:
        o = p.outcome
        assert o is not None
        sig, problem = None, o.share_problem
        if o.share is not None and p.receiver_index is not None:
            other = self._signed_elsewhere(p)
            if other is None:
                sig = sign(self.folder.identity.signer, EpochCommit.KIND, p.receiver_index, o.commit.to_bytes())
                if not d.has("signed"):
                    d.save("signed", o.commit.to_bytes())  # before the signature leaves this member
            else:
                problem = (f"already signed the commit of ceremony {other} for key {p.spec.key_id!r} "
                           f"epoch {p.spec.epoch}; a member signs one commit per epoch")
                self.log.event("commit-withheld", ceremony=p.spec.ceremony_id.hex(), reason=problem)
        return OutputResult(sig, o.commit, dict(o.judgement.disqualified), dict(o.judgement.blamed), problem)

    def _persisted(self, phase: str) -> None:
        if self.after_persist is not None:
            self.after_persist(phase)

    def _where(self, key_id: str, erased: bool) -> FinalizeResult:
        rec = self.epoch_record(key_id, None)
        return FinalizeResult(True, rec.epoch, rec.holds_share, erased)


def _commit_messages(p: Participant, outcome: Outcome) -> list[Signed]:
    """The valid commit signatures as messages (what the transcript keeps)."""
    body = outcome.commit.to_bytes()
    return [Signed(EpochCommit.KIND, s.member, body, s.signature) for s in outcome.signatures]


def _named(verdicts: Mapping[int, str]) -> str:
    return "; ".join(f"dealer {i}: {why}" for i, why in sorted(verdicts.items()))
