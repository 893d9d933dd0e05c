"""The member node: drives its own Participant through a ceremony, persisting before answering.

Each phase call (deal, check, output, finalize) is idempotent: a repeated call returns the answer
already given. State is written to `ceremonies/<id>/` before any answer leaves the node, so a
member killed at any point resumes from its files (council.node.ceremony_store). The new epoch is
stored once `t'` receivers signed the same commit, and each receiver then signs a stored
confirmation; an old member erases its previous shares only once `t'` receivers confirmed
(council.protocol.stored), so a crash leaves the old or the new epoch usable, never neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from council import __version__
from council.crypto.ceremony import Outcome, Participant, State
from council.crypto.keyid import is_valid_key_id
from council.crypto.messages import EpochCommit, Signed, sign
from council.crypto.output import receiver_bn254_share, receiver_share
from council.crypto.transcript import Transcript, check_transcript
from council.errors import CeremonyError, KeycouncilError, ShareInvalid, bounded
from council.log import Entry, EpochCommitted, Genesis, LogRecord, SealerAdmitted
from council.node.ceremony_store import CeremonyDir, in_flight, recent
from council.node.events import EventLog
from council.node.folder import MemberFolder
from council.node.governance import load_governance
from council.node.keystore import EpochRecord, KeyStore
from council.node.log_book import LogBook
from council.node.release.config import ReleaseConfigFile
from council.node.release.log_admission import local_admission, sealer_objection
from council.node.release.records import ReleaseLog
from council.node.results import CeremonyStatus, FinalizeResult, KeyStatus, NodeStatus, OutputResult
from council.node.retirement import RetirementTimer, due_keys, erase_key, leftovers, next_due_ms
from council.node.served import committed_unix_ms, follow_committed
from council.node.spec import Roles, authorise, build_roles
from council.protocol import stored as stored_proto
from council.protocol.ceremony_request import SignedRequest
from council.roster import Roster
from council.storage.files import Stamp, read_file, write_atomic
from council.storage.identity import cert_der
from dumps.lineage import KeyLineage

if TYPE_CHECKING:
    from council.node.chain_watch import ChainWatch

STORED_PROOF = "stored.bin"
"""In an epoch folder: the t' stored confirmations this member erased its older shares on."""

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
    log_changed: threading.Event = field(init=False, default_factory=threading.Event)
    """Set for every accepted log entry (wakes the retirement timer)."""
    _peer_certs: tuple[tuple[bytes, ...], dict[str, bytes]] | None = field(init=False, default=None)
    _trusted: tuple[Roster, tuple[tuple[str, int, Stamp], ...], list[Roster]] | None = field(init=False, default=None)
    chain: ChainWatch | None = field(init=False, default=None)
    """The chain anchor this member waits for before acting on widening entries (council.node.chain_member)."""

    def __post_init__(self) -> None:
        self.store = KeyStore(self.folder.path / "keys", self.folder.vault,
                              self.folder.identity.signer.public_key)
        self.store.after_write = lambda name: self._persisted(f"store:{name}")
        self.logbook = LogBook(self.folder.path / "log" / "council", self.folder.identity.signer, self.log,
                               lambda: load_governance(self.folder.path), self.witness,
                               witness_handed=self.genesis_witness)

    # The council log --------------------------------------------------------------------------
    def witness(self, entry: Entry) -> str | None:
        """What this member knows better than the log: an epoch entry must match its stored epoch."""
        body = entry.body
        if isinstance(body, Genesis):
            return self._matches_epoch(entry.key_id, body.epoch, body.roster.digest(), body.transcript_digest,
                                       body.public_key)
        if isinstance(body, EpochCommitted):
            return self._matches_epoch(entry.key_id, body.epoch, body.roster_digest, body.transcript_digest, None)
        if isinstance(body, SealerAdmitted):  # each approving member verifies the quote itself
            try:
                local = local_admission(ReleaseConfigFile(self.folder.path).current().checker)
                return sealer_objection(self.logbook.effective(entry.key_id), body, local)
            except KeycouncilError as exc:
                return f"this member cannot check the sealer: {exc}"
        return None

    def genesis_witness(self, entry: Entry) -> str | None:
        """A genesis handed over rather than proposed (decision 138): refused when it names an
        epoch this member holds and differs from it, or another public key than this member
        holds for the key; None for other kinds, and when the member holds nothing of the key
        (it cannot tell: a member that joined later, a copy kept for audit)."""
        body = entry.body
        if not isinstance(body, Genesis):
            return None
        held = self.store.epochs(entry.key_id)
        if body.epoch in held:
            return self._matches_epoch(entry.key_id, body.epoch, body.roster.digest(), body.transcript_digest,
                                       body.public_key)
        if held and self.store.record(entry.key_id, held[-1]).commit.public_key.to_bytes() != body.public_key:
            return f"the genesis names another public key than this member holds for key {entry.key_id!r}"
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
        """Act on what an accepted entry changes on this member (retirement erases, see `retire_due`),
        and wake the retirement timer (a new key-retired entry sets a new deadline)."""
        self.retire_due()
        self.log_changed.set()
        if self.chain is not None:
            self.chain.offer(LogRecord.from_bytes(record))

    def retire_due(self) -> list[str]:
        """Erase every share of each retired key whose waiting period has passed here
        (council.node.retirement); the key ids that had something left to erase."""
        erased = []
        with self._lock:
            for key_id, state in due_keys(self.logbook, self.logbook.clock()):
                assert state.retired is not None
                if leftovers(self.store, self._ceremonies, key_id):
                    erase_key(self.store, self._ceremonies, key_id, state.retired.seq, self.log)
                    erased.append(key_id)
        return erased

    def next_erasure_ms(self) -> int | None:
        """When the next retired key's waiting period ends on this member (unix ms), or None."""
        return next_due_ms(self.logbook, self.store, self._ceremonies)

    def retirement_timer(self) -> RetirementTimer:
        """The timer thread that erases retired keys when their waiting period ends (not started)."""
        return RetirementTimer(self.retire_due, self.next_erasure_ms, self.logbook.clock, self.log_changed, self.log)

    @property
    def _ceremonies(self) -> Path:
        return self.folder.path / "ceremonies"

    # Trust ---------------------------------------------------------------------------------------
    def trusted_rosters(self) -> list[Roster]:
        """The served roster and the roster of every key's current epoch. Every RPC asks: the
        list is kept while the served roster and each key's newest `epoch.json` are unchanged
        (their stamps, a few system calls, instead of listing, reading and comparing files)."""
        served, stamps = self.served, self.store.newest_stamps()
        cached = self._trusted
        if cached is not None and cached[0] is served and cached[1] == stamps:
            return list(cached[2])
        rosters = self._rosters_now()
        self._trusted = (served, stamps, rosters)
        return list(rosters)

    def _rosters_now(self) -> list[Roster]:
        out = [self.served]
        for key_id in self.store.key_ids():
            rec = self.store.current(key_id)
            if rec is not None and rec.roster.digest() not in {r.digest() for r in out}:
                out.append(rec.roster)
        return out

    def peer_certs(self) -> dict[str, bytes]:
        """DER certificate of every member and operator of a trusted roster, by signing key (hex).
        Every RPC asks; the certificates are converted once per set of trusted rosters."""
        rosters = self.trusted_rosters()
        digests = tuple(r.digest() for r in rosters)
        cached = self._peer_certs
        if cached is not None and cached[0] == digests:
            return dict(cached[1])
        out = self._certs_of(rosters)
        self._peer_certs = (digests, out)
        return dict(out)

    @staticmethod
    def _certs_of(rosters: list[Roster]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for r in rosters:
            parties = [(m.signing_key, m.tls_cert, m.name) for m in r.members]
            parties += [(o.signing_key, o.tls_cert, o.name) for o in r.operators]
            for signing_key, cert, name in parties:
                out[signing_key.hex()] = cert_der(cert, f"roster entry {name!r}")
        return out

    def startup_check(self) -> list[tuple[str, int, bool]]:
        """Check every stored share (a bad one raises StorageError) and report what is held."""
        for key_id, epoch in self.store.finish_erasures():
            self.log.event("share-erased", key_id=key_id, epoch=epoch, reason="erasure finished at start")
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
                self._abandon_unsigned(p.spec.key_id, p.spec.epoch, d.path.name)
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
            if self._already_stored(req):  # a resume after this member finalized: same answer
                authorise(req, self.trusted_rosters(), peer, self.peer_certs())
                return self._stored_output(req)
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

    def finalize(self, req: SignedRequest, peer: bytes | None, commits: Sequence[Signed],
                 stored: Sequence[Signed] = ()) -> FinalizeResult:
        """Step 5: once t' receivers signed the commit, store the new epoch (a receiver then
        confirms the store); erase older shares only once t' receivers confirmed (`stored`)."""
        with self._lock:
            d = CeremonyDir(self.folder.path / "ceremonies", req.request.ceremony_id)
            if self._already_stored(req):
                authorise(req, self.trusted_rosters(), peer, self.peer_certs())
                return self._after_store(req, d, stored)
            p, d = self._participant(req, peer, create=False)
            if p.state is not State.OUTPUT:
                raise CeremonyError(f"ceremony {d.path.name}: no output to finalize (state {p.state.name})")
            try:
                outcome = p.finalize(commits)
            except CeremonyError:
                self._live.pop(req.request.ceremony_id, None)  # rebuilt from files on the next call
                raise
            d.save_messages("commits", commits)  # a restart completes the store from these (5a)
            self._persisted("commits")
            self._store_outcome(req, p, d, outcome)
            return self._after_store(req, d, stored)

    def complete_pending(self) -> list[str]:
        """At start: finish storing every ceremony whose t' commit signatures reached this member
        before it stopped (step 5a), without waiting for a driver. Returns their ids."""
        done = []
        root = self.folder.path / "ceremonies"
        for name in in_flight(root):
            d = CeremonyDir(root, bytes.fromhex(name))
            if not (d.has("request") and d.has("commits")):
                continue
            try:
                req = SignedRequest.from_bytes(d.load("request"))
                self.finalize(req, None, d.load_messages("commits"))
            except KeycouncilError as exc:
                self.log.event("store-not-completed", ceremony=name, reason=bounded(str(exc)))
                continue
            self.log.event("store-completed", ceremony=name)
            done.append(name)
        return done

    # Outcome -------------------------------------------------------------------------------------
    def _already_stored(self, req: SignedRequest) -> bool:
        """True if this very ceremony's epoch is stored here (a crash may have come between
        storing it and marking the ceremony done)."""
        r = req.request
        if not is_valid_key_id(r.key_id) or r.epoch not in self.store.epochs(r.key_id):
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

    def _store_outcome(self, req: SignedRequest, p: Participant, d: CeremonyDir, outcome: Outcome) -> None:
        """Step 5a: store the committed epoch (share first, epoch.json last, all fsynced)."""
        dealings, responses = p.transcript
        transcript = Transcript(dealings, responses, tuple(_commit_messages(p, outcome)))
        bn = outcome.public.bn254.previous() if outcome.public.bn254 is not None else None
        rec = EpochRecord(req.request.new_roster, outcome.commit, outcome.signatures,
                          dict(outcome.public.verification_shares), p.receiver_index, outcome.share is not None,
                          bn)
        self.store.store(rec, outcome.share, req.to_bytes(), transcript.to_bytes(), outcome.bn254_share)
        self._persisted("stored")
        self._supersede(outcome.commit.key_id, outcome.commit.epoch)
        self._live.pop(req.request.ceremony_id, None)
        self.log.event("committed", ceremony=d.path.name, key_id=outcome.commit.key_id,
                       epoch=outcome.commit.epoch, holds_share=rec.holds_share,
                       share_problem=outcome.share_problem or "")

    def _after_store(self, req: SignedRequest, d: CeremonyDir, stored: Sequence[Signed]) -> FinalizeResult:
        """Steps 5b-5c: confirm the store; erase older shares once t' receivers confirmed theirs;
        mark the ceremony done once nothing older is held (else `stored`, waiting)."""
        r = req.request
        rec = self.store.record(r.key_id, r.epoch)
        follow_committed(self, rec)
        own = self._own_confirmation(rec)
        erased = False
        if self._proof(rec, [*stored, *([own] if own else [])]):
            erased = self._erase_older(r.key_id, r.epoch)
            self._persisted("erased")
        clean = not self._holds_older(r.key_id, r.epoch)
        state = d.state()["state"] if d.path.exists() else ""
        if clean and state in ("in-flight", "stored"):
            d.set_state("done")
        elif not clean and state == "in-flight":
            d.set_state("stored", f"older shares kept until {rec.commit.threshold} receivers confirm storage")
            self.log.event("erase-deferred", ceremony=d.path.name, key_id=r.key_id, epoch=r.epoch,
                           confirmations=len(stored_proto.valid_confirmations(rec.commit, rec.roster, stored)),
                           needed=rec.commit.threshold)
        self._live.pop(r.ceremony_id, None)
        return FinalizeResult(True, r.epoch, rec.holds_share, erased, own, clean)

    def _own_confirmation(self, rec: EpochRecord) -> Signed | None:
        """This member's signed statement that it stored `rec` with its share (deterministic)."""
        if not rec.holds_share or rec.member_index is None:
            return None
        return stored_proto.confirm(self.folder.identity.signer, rec.member_index, rec.commit)

    def _proof(self, rec: EpochRecord, messages: Sequence[Signed]) -> bool:
        """True (and the proof kept in the epoch folder) if t' receivers confirmed storing `rec`."""
        valid = stored_proto.valid_confirmations(rec.commit, rec.roster, [*messages, *self.stored_proof(rec)])
        if len(valid) < rec.commit.threshold:
            return False
        path = self.store.epoch_dir(rec.key_id, rec.epoch) / STORED_PROOF
        if len(self.stored_proof(rec)) < rec.commit.threshold:
            write_atomic(path, stored_proto.encode(valid[i] for i in sorted(valid)))
        return True

    def stored_proof(self, rec: EpochRecord) -> list[Signed]:
        """The stored confirmations this member keeps for `rec` (those it erased on), if any."""
        path = self.store.epoch_dir(rec.key_id, rec.epoch) / STORED_PROOF
        if not path.exists():
            return []
        try:
            found = stored_proto.decode(read_file(path, "stored confirmations"), str(path))
        except (KeycouncilError, ValueError):
            return []
        return list(stored_proto.valid_confirmations(rec.commit, rec.roster, found).values())

    def confirmations(self, rec: EpochRecord) -> list[Signed]:
        """Every stored confirmation this member can show for `rec`: its own and its proof."""
        own = self._own_confirmation(rec)
        found = stored_proto.valid_confirmations(rec.commit, rec.roster, [*([own] if own else []),
                                                                         *self.stored_proof(rec)])
        return [found[i] for i in sorted(found)]

    def _holds_older(self, key_id: str, epoch: int) -> bool:
        """True if a share of an epoch before `epoch` is still on disk (or recorded as held)."""
        for e in self.store.epochs(key_id):
            if e < epoch and ((self.store.epoch_dir(key_id, e) / "share.sealed").exists()
                              or self.store.record(key_id, e).holds_share):
                return True
        return False

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

    def _abandon_unsigned(self, key_id: str, epoch: int, starting: str) -> None:
        """Close the in-flight ceremonies of the same key epoch that this member never signed: a
        new one is starting, so the driver gave them up (refused, aborted). A signed one stays open,
        for `ceremony resume`."""
        root = self.folder.path / "ceremonies"
        for name in in_flight(root):
            other = CeremonyDir(root, bytes.fromhex(name))
            if name == starting or other.has("signed") or not other.has("request") \
                    or other.state()["state"] != "in-flight":
                continue
            r = SignedRequest.from_bytes(other.load("request")).request
            if r.key_id == key_id and r.epoch == epoch:
                other.set_state("superseded", f"abandoned: ceremony {starting} for key {key_id!r} epoch {epoch} "
                                "started, and this member had not signed this one")
                self._live.pop(r.ceremony_id, None)
                self.log.event("ceremony-abandoned", ceremony=name, key_id=key_id, epoch=epoch, by=starting)

    def _stored_output(self, req: SignedRequest) -> OutputResult:
        """Output of a ceremony already stored here (a resume): the same commit, and the same
        signature if this member signed it (Ed25519 is deterministic)."""
        r = req.request
        rec = self.store.record(r.key_id, r.epoch)
        d = CeremonyDir(self.folder.path / "ceremonies", r.ceremony_id)
        body = rec.commit.to_bytes()
        sig = None
        if rec.member_index is not None and d.has("signed") and d.load("signed") == body:
            sig = sign(self.folder.identity.signer, EpochCommit.KIND, rec.member_index, body)
        return OutputResult(sig, rec.commit, {}, {}, None)

    def catch_up(self, req: SignedRequest, peer: bytes | None, transcript_bytes: bytes,
                 stored: Sequence[Signed] = ()) -> FinalizeResult:
        """Take a committed ceremony this member missed: derive its share from the transcript.
        Older shares are erased only with t' stored confirmations, as in finalize."""
        with self._lock:
            r = req.request
            ceremony = CeremonyDir(self.folder.path / "ceremonies", r.ceremony_id)
            authorise(req, self.trusted_rosters(), peer, self.peer_certs())
            if self._already_stored(req):
                return self._after_store(req, ceremony, stored)
            roles = build_roles(req, self.store, self.served, self.logbook, catching_up=True)
            transcript = Transcript.from_bytes(transcript_bytes)
            report = check_transcript(roles.spec, transcript)
            if not report.committed:
                raise CeremonyError(f"key {r.key_id!r} epoch {r.epoch}: transcript has "
                                    f"{len(report.signers)} commit signatures, {report.commit.threshold} needed")
            share, bn_share, problem = None, None, None
            secret = self.folder.identity.encryption_secret
            if roles.receiver_index is not None and secret is not None:
                try:
                    share = receiver_share(roles.spec, report.judgement, report.public,
                                           roles.receiver_index, secret)
                    if report.public.bn254 is not None:
                        bn_share = receiver_bn254_share(roles.spec, report.judgement, report.public,
                                                        roles.receiver_index, secret)
                except ShareInvalid as exc:
                    share, problem = None, str(exc)
            bn = report.public.bn254.previous() if report.public.bn254 is not None else None
            rec = EpochRecord(r.new_roster, report.commit, report.signers, dict(report.verification_shares),
                              roles.receiver_index, share is not None, bn)
            self.store.store(rec, share, req.to_bytes(), transcript.to_bytes(), bn_share)
            self._supersede(r.key_id, r.epoch)
            self.log.event("caught-up", key_id=r.key_id, epoch=r.epoch, holds_share=share is not None,
                           share_problem=problem or "")
            return self._after_store(req, ceremony, stored)

    # Queries -------------------------------------------------------------------------------------
    def epoch_record(self, key_id: str, epoch: int | None) -> EpochRecord:
        """The public data of one epoch (the current one if `epoch` is None)."""
        rec = self.store.current(key_id) if epoch is None else (
            self.store.record(key_id, epoch) if epoch in self.store.epochs(key_id) else None)
        if rec is None:
            raise CeremonyError(f"this member holds no committed epoch of key {key_id!r}"
                                + ("" if epoch is None else f" numbered {epoch}"))
        return rec

    def lineage(self, key_id: str) -> KeyLineage:
        """What this member knows of the key's committed epochs: each stored epoch's roster, and the
        epoch each re-share started from (named in its request), with the key's public key."""
        rosters: dict[int, bytes] = {}
        public_key = None
        for e in self.store.epochs(key_id):
            rec = self.store.record(key_id, e)
            rosters[e], public_key = rec.commit.roster_digest, rec.commit.public_key
            try:
                previous = SignedRequest.from_bytes(
                    read_file(self.store.epoch_dir(key_id, e) / "request.bin", "request")).request.previous
            except (KeycouncilError, ValueError):
                continue
            if previous is not None and previous.commit.public_key == public_key:
                rosters.setdefault(previous.commit.epoch, previous.commit.roster_digest)
        return KeyLineage(key_id, public_key, rosters)

    def transcript(self, key_id: str, epoch: int) -> tuple[bytes, bytes]:
        """The stored request and transcript of the ceremony that created `key_id` epoch `epoch`."""
        self.epoch_record(key_id, epoch)
        folder = self.store.epoch_dir(key_id, epoch)
        retired = self.logbook.state(key_id).retired
        if retired is not None and not (folder / "transcript.bin").exists():
            raise CeremonyError(f"key {key_id!r} is retired (log entry {retired.seq}): this member erased "
                                "its transcripts with its shares")
        return (folder / "request.bin").read_bytes(), (folder / "transcript.bin").read_bytes()

    def ceremony(self, ceremony_id: bytes) -> tuple[bytes, tuple[Signed, ...], str]:
        """A ceremony's stored request (SignedRequest bytes), responses, and state."""
        d = CeremonyDir(self.folder.path / "ceremonies", ceremony_id)
        if len(ceremony_id) != 16 or not d.has("request"):
            raise CeremonyError(f"no ceremony {ceremony_id.hex()} on this member")
        responses = d.load_messages("responses") if d.has("responses") else ()
        return d.load("request"), responses, d.state()["state"]

    def status(self) -> NodeStatus:
        """Name, version, keys with their current epoch, ceremonies in flight and recent ones."""
        keys = []
        for key_id in self.store.key_ids():
            rec = self.store.current(key_id)
            if rec is not None:
                keys.append(KeyStatus(key_id, rec.epoch, rec.holds_share, rec.commit.public_key.to_bytes(),
                                      rec.commit.roster_digest, committed_unix_ms(self.store, rec),
                                      rec.member_index or 0,
                                      rec.bn254.public_key.to_bytes() if rec.bn254 is not None else b"",
                                      self.store.holds_bn254_share(key_id, rec.epoch)))
        root = self.folder.path / "ceremonies"
        return NodeStatus(self.folder.name, __version__, tuple(keys), tuple(in_flight(root)),
                          self.folder.vault.insecure, served_roster_digest=self.served.digest(),
                          recent=tuple(self._ceremony_status(root, name, state) for name, state in recent(root)),
                          chain=self.chain.status if self.chain is not None else "")

    @staticmethod
    def _ceremony_status(root: Path, name: str, state: dict[str, str]) -> CeremonyStatus:
        d = CeremonyDir(root, bytes.fromhex(name))
        key_id, epoch = "", 0
        if d.has("request"):
            try:
                r = SignedRequest.from_bytes(d.load("request")).request
                key_id, epoch = r.key_id, r.epoch
            except (KeycouncilError, ValueError):
                key_id = "(unreadable request)"
        return CeremonyStatus(name, state["state"], key_id, epoch, bounded(state.get("reason", ""), 200))

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
                               roles.receiver_index, roles.dealer_share, roles.dealer_bn254_share)
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
                    self._persisted("signed")
            else:
                problem = (f"already signed the commit of ceremony {other} for key {p.spec.key_id!r} "
                           f"epoch {p.spec.epoch}; a member signs one commit per epoch")
                self.log.event("commit-withheld", ceremony=p.spec.ceremony_id.hex(), reason=problem)
        return OutputResult(sig, o.commit, dict(o.judgement.disqualified), dict(o.judgement.blamed), problem)

    def _persisted(self, phase: str) -> None:
        if self.after_persist is not None:
            self.after_persist(phase)


def _commit_messages(p: Participant, outcome: Outcome) -> list[Signed]:
    """The valid commit signatures as messages (what the transcript keeps)."""
    body = outcome.commit.to_bytes()
    return [Signed(EpochCommit.KIND, s.member, body, s.signature) for s in outcome.signatures]


def _named(verdicts: Mapping[int, str]) -> str:
    return "; ".join(f"dealer {i}: {why}" for i, why in sorted(verdicts.items()))
