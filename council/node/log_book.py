"""The member's copy of the council log and its approvals (docs/log-format.md, "Approving").

Files, per key id, under `DIR/log/council/<key_id>/`:

```
records/<seq>.rec          an accepted record: 8-byte big-endian time this member saw it accepted
                           (unix ms) ‖ LogRecord bytes
approved/<seq>             the 32-byte digest of the one entry this member approved at <seq>, then
                           that entry's bytes, in one atomic write (persisted before the approval
                           leaves the member: no restart approves another); a refused proposal at
                           <seq> is answered with the bytes, so a client can complete the entry
                           (`rival_entry`). Folders written before decision 129 hold the digest
                           alone there and the bytes in `approved/<seq>.entry`; both are read.
proposed/<id>.entry        a widening entry waiting for this member's operator (`member pending`)
operator-approved/<id>     the operator said yes (`member approve DIR ID`)
narrowed/<id>.entry        a narrowing entry this member made or approved: in effect here at once
forks/<seq>-<id>/          a fork this member's operator resolved: HALTED, decision.json, dropped records
forks/dropped/<id>         the record the operator dropped (handed over again: refused, no new halt)
```

and `DIR/log/council/HALTED` (fork evidence: approve nothing) with `HALTED.decision` (the operator's
choice of branch, `member resume-log`; council/node/log_fork.py).

With a chain anchor configured (`anchor_gate`), a member acts only on the accepted prefix of a
key's log up to its first widening entry that is not anchored yet (narrowing entries after it still
apply): `acting` and `effective` are that state, `state` stays the whole accepted log.

The pure rules (`council.log`) decide; this module stores, folds and answers. Every write is
atomic and fsynced (`council.storage.files.write_atomic`).
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from council.crypto.signing import Signer
from council.errors import KeycouncilError, StorageError
from council.log import (
    Approval,
    Entry,
    LogRecord,
    LogRuleError,
    LogState,
    Verdict,
    apply,
    apply_narrowing,
    approve,
    classify,
    review,
)
from council.log.bodies import DIGEST_LEN, Genesis
from council.log.errors import LogDecodeError
from council.log.kinds import Effect
from council.log.rules import fold
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_fork import (
    DECISION,
    HALTED,
    ForkChoiceRefused,
    ForkDecision,
    ForkEvidence,
    read_evidence,
)
from council.storage.files import write_atomic

SEQ_WIDTH = 20
PAGE = 256


class Status(Enum):
    APPROVED = "approved"
    PENDING = "pending"
    REFUSED = "refused"
    APPENDED = "appended"
    ALREADY = "already"
    BEHIND = "behind"


ONE_PER_SEQUENCE = "approval.one-per-sequence"


@dataclass(frozen=True)
class Answer:
    """What the member says to a proposal or a hand-over."""

    status: Status
    next_seq: int
    approval: Approval | None = None
    reason: str = ""
    rule: str = ""
    rival: bytes = b""
    """Refused by approval.one-per-sequence: the entry approved at that seq (see `_approved_entry`)."""


def now_ms() -> int:
    return int(time.time() * 1000)


def folder_logbook(folder: Path) -> LogBook:
    """The log book of a member's data folder for its operator's offline commands (`member pending`,
    `member approve`): reading and recording the operator's approvals needs no secret."""
    events = EventLog(folder.name, folder / "log" / "events.jsonl", echo=False)
    return LogBook(folder / "log" / "council", None, events, Governance)


class AmbiguousApproval(KeycouncilError):
    """An operator's yes given by a request id that more than one pending entry carries."""


def _request_hex(entry: Entry) -> str:
    """The request id a recovery-request entry carries, in hex ("" for other kinds)."""
    return bytes(getattr(entry.body, "request_id", b"")).hex()


def _described(entry: Entry) -> str:
    """One pending entry as an operator must see it before saying yes: id, author, and target."""
    target = getattr(entry.body, "target_key", b"")
    return (f"entry {entry.id} (key {entry.key_id}, entry {entry.seq}, by {entry.author.role.label} "
            f"{entry.author.public_key.hex()[:16]}…, target {target.hex()[:16] + '…' if target else 'none'})")


class LogBook:
    """One member's logs, by key id; thread-safe."""

    def __init__(self, root: Path, signer: Signer | None, events: EventLog, governance: Callable[[], Governance],
                 witness: Callable[[Entry], str | None] = lambda entry: None,
                 clock: Callable[[], int] = now_ms,
                 witness_handed: Callable[[Entry], str | None] = lambda entry: None) -> None:
        self.root = root
        self.witness = witness
        """The member's own check of what only it can know (its stored epochs): a refusal or None."""
        self.witness_handed = witness_handed
        """The same for a record handed over that this member did not review: a genesis approves
        itself (its own roster is its quorum), so only what the member stored can refute it."""
        self.signer = signer
        self.events = events
        self.governance = governance
        self.clock = clock
        self.after_persist: Callable[[str], None] | None = None
        """Test-only: called once an approval is on disk, before it is answered."""
        self.anchor_partial: Callable[[Entry], bytes] = lambda entry: b""
        """The opaque partial signature of the entry's anchor head each approval carries (or b"")."""
        self.anchor_gate: Callable[[Entry], bool] | None = None
        """With a chain: True once a widening entry's head is anchored with enough confirmations."""
        self.gate_version: Callable[[], int] = lambda: 0
        """Changes whenever the chain shows new anchors (invalidates the cached acting states)."""
        self._acting: dict[str, tuple[tuple[int, int], LogState, int | None]] = {}
        self._lock = threading.RLock()
        self._states: dict[str, tuple[int, LogState]] = {}
        self._effective: dict[str, tuple[LogState, tuple[int, tuple[str, ...]], LogState]] = {}

    # State -----------------------------------------------------------------------------------------
    def key_ids(self) -> list[str]:
        """The keys with a log here (a `records` folder): one listing, plain `os` calls (every
        accepted record asks, for the retirement check)."""
        root = os.fspath(self.root)
        try:
            names = os.listdir(root)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(n for n in names if os.path.isdir(f"{root}/{n}/records"))

    def state(self, key_id: str) -> LogState:
        """The accepted state of `key_id`'s log (folded from the stored records, cached).

        The first call checks the whole folder (no gap) and folds every record; later calls fold
        only records added since (one `stat` when there are none): a call costs O(new records),
        not O(log), which every proposal and hand-over would otherwise pay."""
        with self._lock:
            cached = self._states.get(key_id)
            if cached is None:
                self._record_files(key_id)  # a gap in the stored records is damage: say so now
            count, state = cached if cached is not None else (0, LogState(key_id))
            while os.path.exists(self._record_name(key_id, count)):
                path = self._record_path(key_id, count)
                seen, record = self._read_record(path)
                try:
                    state = apply(state, record.entry, record.approvals, seen)
                except LogRuleError as exc:
                    raise StorageError(f"{path}: stored log record does not follow the log ({exc})") from None
                count += 1
            self._states[key_id] = (count, state)
            return state

    def _record_name(self, key_id: str, seq: int) -> str:
        """`_record_path` as a plain string (no pathlib objects on the per-release path)."""
        return f"{self.root}/{key_id}/records/{seq:0{SEQ_WIDTH}d}.rec"

    def _record_path(self, key_id: str, seq: int) -> Path:
        return self._dir(key_id) / "records" / f"{seq:0{SEQ_WIDTH}d}.rec"

    def _approved_file(self, key_id: str, seq: int) -> tuple[bytes, bytes] | None:
        """(digest, entry bytes) this member approved at `seq`, or None: one file (digest ‖ bytes),
        or, in a folder written before decision 129, the digest file and `<seq>.entry` beside it
        (bytes b"" if that one is missing)."""
        path = f"{self.root}/{key_id}/approved/{seq:0{SEQ_WIDTH}d}"
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        if len(data) > DIGEST_LEN:
            return data[:DIGEST_LEN], data[DIGEST_LEN:]
        try:
            with open(path + ".entry", "rb") as f:
                return data, f.read()
        except FileNotFoundError:
            return data, b""

    def _approved_entry(self, key_id: str, seq: int) -> bytes:
        """The entry this member approved at `seq`, if its bytes are kept and match the approval:
        a client whose proposal it refuses can complete that entry (a coordinator that collected
        approvals and died before handing the record over would otherwise stall the seq for good)."""
        approved = self._approved_file(key_id, seq)
        if approved is None or not approved[1]:
            return b""
        digest, data = approved
        try:
            entry = Entry.from_bytes(data)
        except (LogDecodeError, ValueError):
            return b""
        return data if entry.seq == seq and entry.key_id == key_id and entry.digest == digest else b""

    def _reviewed(self, entry: Entry) -> bool:
        """True when this member approved exactly these entry bytes at their seq: it approves only
        after `check_entry` passed against its log at the entry's previous head (rules.apply)."""
        approved = self._approved_file(entry.key_id, entry.seq)
        if approved is None:
            return False
        digest, data = approved
        return hmac.compare_digest(digest, entry.digest) and hmac.compare_digest(data, entry.to_bytes())

    def _approved_at(self, key_id: str, seq: int) -> dict[int, bytes]:
        """The approval persisted at `seq` (empty if none): what `review`'s guard looks at."""
        approved = self._approved_file(key_id, seq)
        return {} if approved is None else {seq: approved[0]}

    def acting(self, key_id: str) -> LogState:
        """What this member acts on: the accepted state, or with a chain gate the state up to the
        first widening entry not anchored yet, with the narrowing entries after it applied."""
        return self._gated(key_id)[0]

    def waiting_for_anchor(self, key_id: str) -> int | None:
        """The sequence number of the first accepted widening entry this member does not act on
        yet because its head is not anchored (None: nothing waits, or no chain gate)."""
        return self._gated(key_id)[1]

    def _gated(self, key_id: str) -> tuple[LogState, int | None]:
        """Folded outside the book's lock: the gate may read the chain, and stored records never
        change, so two callers folding at once get the same answer."""
        state = self.state(key_id)
        gate = self.anchor_gate
        if gate is None:
            return state, None
        version = (state.next_seq, self.gate_version())
        cached = self._acting.get(key_id)
        if cached is not None and cached[0] == version:
            waiting = cached[2]
            if waiting is None or not gate(self.records(key_id, waiting, 1)[0].entry):
                return cached[1], waiting
            version = (state.next_seq, self.gate_version())  # anchored since: fold again
        acting, waiting = LogState(key_id), None
        for seq in range(state.next_seq):
            seen, record = self._read_record(self._record_path(key_id, seq))
            entry = record.entry
            if waiting is None:
                if classify(acting, entry) is Effect.WIDENING and not gate(entry):
                    waiting = seq
                else:
                    acting = fold(acting, entry, seen)
                    continue
            try:
                acting = apply_narrowing(acting, entry)
            except LogRuleError:
                continue  # not narrowing: waits with the widening entry before it
        self._acting[key_id] = (version, acting, waiting)
        return acting, waiting

    def effective(self, key_id: str) -> LogState:
        """The acting state with this member's own narrowing entries applied on top (at once).

        Kept while the acting state (the same cached object), the accepted length and the listing
        of `narrowed/` are unchanged: every release asks, and entry files are named by their
        digest, so the same names are the same entries."""
        state = self.acting(key_id)
        accepted = self.state(key_id)
        names = self._narrowed_names(key_id)
        cached = self._effective.get(key_id)
        if cached is not None and cached[0] is state and cached[1] == (accepted.next_seq, names):
            return cached[2]
        result = self._fold_narrowed(key_id, state, accepted, names)
        self._effective[key_id] = (state, (accepted.next_seq, names), result)
        return result

    def _fold_narrowed(self, key_id: str, state: LogState, accepted: LogState, names: tuple[str, ...]) -> LogState:
        """`state` with the narrowing entries `names` (of `narrowed/`) applied, unless superseded."""
        for entry in self._narrowed(key_id, names):
            if entry.seq < accepted.next_seq and self._superseded(key_id, entry):
                continue  # accepted since: part of the state (a later entry may have lifted it)
            try:
                state = apply_narrowing(state, entry)
            except LogRuleError:
                continue  # superseded by what was accepted since
        return state

    def _superseded(self, key_id: str, entry: Entry) -> bool:
        """True when this narrowing entry, or the same body re-proposed later, is accepted."""
        at = self.records(key_id, entry.seq, 1)
        if at and at[0].entry.digest == entry.digest:
            return True
        body = (entry.kind, entry.body.encode())  # lost its sequence number: re-proposed since?
        return any((r.entry.kind, r.entry.body.encode()) == body for r in self.records(key_id, entry.seq + 1))

    def records(self, key_id: str, start: int = 0, limit: int | None = None) -> list[LogRecord]:
        """Accepted records from `start` (all of them, or `limit`)."""
        end = self.state(key_id).next_seq
        end = end if limit is None else min(end, start + limit)
        return [self._read_record(self._record_path(key_id, seq))[1] for seq in range(start, end)]

    def approvals(self, key_id: str) -> dict[int, bytes]:
        folder = self._dir(key_id) / "approved"
        if not folder.exists():
            return {}
        return {int(p.name): p.read_bytes()[:DIGEST_LEN] for p in folder.iterdir() if p.name.isdigit()}

    # Proposals -------------------------------------------------------------------------------------
    def propose(self, entry: Entry) -> Answer:
        """Review `entry`; approve it (persisting first), hold it for the operator, or refuse."""
        with self._lock:
            state = self.state(entry.key_id)
            decision = review(state, entry, self._approved_at(entry.key_id, entry.seq), self.clock(), self._halted())
            if decision.verdict is Verdict.REFUSE:
                self.events.event("log-refused", key_id=entry.key_id, seq=entry.seq, entry=entry.id,
                                  rule=decision.rule, reason=decision.reason[:300])
                rival = self._approved_entry(entry.key_id, entry.seq) if decision.rule == ONE_PER_SEQUENCE else b""
                return Answer(Status.REFUSED, state.next_seq, reason=decision.reason, rule=decision.rule, rival=rival)
            if decision.verdict is Verdict.REPEAT:
                return Answer(Status.APPROVED, state.next_seq, approve(self._signer(), entry, self.anchor_partial(entry)))
            objection = self.witness(entry)
            if objection is not None:
                self.events.event("log-refused", key_id=entry.key_id, seq=entry.seq, entry=entry.id,
                                  rule="member.witness", reason=objection[:300])
                return Answer(Status.REFUSED, state.next_seq, reason=objection, rule="member.witness")
            if decision.effect is Effect.WIDENING and not self._widening_allowed(state, entry):
                self._write(self._dir(entry.key_id) / "proposed" / f"{entry.id}.entry", entry.to_bytes())
                self.events.event("log-approval-pending", key_id=entry.key_id, seq=entry.seq, entry=entry.id,
                                  kind=entry.kind.label)
                return Answer(Status.PENDING, state.next_seq,
                              reason=f"waiting for this member's operator: keycouncil member approve DIR {entry.id}")
            return self._approve(state, entry, decision.effect)

    def _approve(self, state: LogState, entry: Entry, effect: Effect | None) -> Answer:
        if effect is Effect.NARROWING:
            self._write(self._dir(entry.key_id) / "narrowed" / f"{entry.id}.entry", entry.to_bytes())
        approved = self._dir(entry.key_id) / "approved" / f"{entry.seq:0{SEQ_WIDTH}d}"
        self._write(approved, entry.digest + entry.to_bytes())  # the guard and the bytes, in one atomic write
        if self.after_persist is not None:
            self.after_persist("approval")
        self.events.event("log-approved", key_id=entry.key_id, seq=entry.seq, entry=entry.id,
                          kind=entry.kind.label, effect=effect.value if effect else "")
        return Answer(Status.APPROVED, state.next_seq, approve(self._signer(), entry, self.anchor_partial(entry)))

    def _widening_allowed(self, state: LogState, entry: Entry) -> bool:
        if (self._dir(entry.key_id) / "operator-approved" / entry.id).exists():
            return True
        why = self.governance().allows(state, entry)
        if why is not None:
            self.events.event("log-auto-approved", key_id=entry.key_id, seq=entry.seq, entry=entry.id, why=why)
        return why is not None

    def pending(self) -> list[Entry]:
        """Widening entries waiting for the operator that can still be approved (oldest first)."""
        out: list[Entry] = []
        for entry in self._proposed():
            state = self.state(entry.key_id)
            said_yes = (self._dir(entry.key_id) / "operator-approved" / entry.id).exists()
            if entry.seq >= state.next_seq and not self._approved_at(entry.key_id, entry.seq) and not said_yes:
                out.append(entry)
        return out

    def _proposed(self) -> list[Entry]:
        """Every widening entry ever held here for the operator, by key, in file-name order."""
        return [Entry.from_bytes(path.read_bytes()) for key_id in self._all_keys()
                for path in sorted((self._dir(key_id) / "proposed").glob("*.entry"))]

    def operator_approve(self, entry_id: str) -> Entry:
        """Record the operator's yes for a pending entry (by entry id, or by the request id of a
        recovery request); the next proposal of it is approved. A request id that more than one
        pending entry carries is refused (AmbiguousApproval): anyone may propose a rival entry
        with the same request id (another target, another author), and the yes meant for one
        must not land on the other (decision 138)."""
        wanted = entry_id.lower()
        pending = self.pending()
        matches = [e for e in pending if e.id == wanted]
        if not matches:
            matches = [e for e in pending if _request_hex(e) == wanted]
            if matches:
                self._one_request(entry_id, [e for e in self._proposed() if _request_hex(e) == wanted])
        if not matches:
            raise KeycouncilError(f"no pending log entry {entry_id} on this member (see keycouncil member pending DIR)")
        for entry in matches:  # the same request proposed again at a later head: the same yes
            self._write(self._dir(entry.key_id) / "operator-approved" / entry.id, b"")
            self.events.event("log-operator-approved", key_id=entry.key_id, seq=entry.seq, entry=entry.id)
        return matches[0]

    @staticmethod
    def _one_request(request_id: str, carrying: list[Entry]) -> None:
        """AmbiguousApproval unless every entry proposed here with this request id (said yes to or
        not) is the same request: one author, one body; only the sequence number may differ."""
        distinct = {(e.author.public_key, e.body.encode()): e for e in carrying}
        if len(distinct) > 1:
            raise AmbiguousApproval(f"{len(distinct)} different log entries proposed to this member carry request "
                                    f"id {request_id}: " + "; ".join(_described(e) for e in distinct.values())
                                    + ". Approve one by its entry id (keycouncil member pending DIR lists them).")

    # Hand-over -------------------------------------------------------------------------------------
    def accept(self, record: LogRecord) -> Answer:
        """Append an entry with its approvals if it follows this member's log and has a quorum."""
        with self._lock:
            self.resume_if_decided()
            key_id, seq = record.entry.key_id, record.entry.seq
            state = self.state(key_id)
            if seq < state.next_seq:
                stored = self.records(key_id, seq, 1)[0]
                if stored.entry.digest == record.entry.digest:
                    return Answer(Status.ALREADY, state.next_seq)
                return self._conflict(record, stored, state.next_seq)
            if seq > state.next_seq:
                return Answer(Status.BEHIND, state.next_seq, reason=f"this member's log of key {key_id} "
                                                                    f"ends before entry {seq}")
            now, reviewed = self.clock(), self._reviewed(record.entry)
            try:
                new = apply(state, record.entry, record.approvals, now, reviewed=reviewed)
            except LogRuleError as exc:
                return Answer(Status.REFUSED, state.next_seq, reason=str(exc), rule=exc.rule)
            objection = None if reviewed else self.witness_handed(record.entry)
            if objection is not None:
                self.events.event("log-refused", key_id=key_id, seq=seq, entry=record.entry.id,
                                  rule="member.witness", reason=objection[:300])
                return Answer(Status.REFUSED, state.next_seq, reason=objection, rule="member.witness")
            self._write(Path(self._record_name(key_id, seq)), now.to_bytes(8, "big") + record.to_bytes())
            self._states[key_id] = (seq + 1, new)
            self.events.event("log-appended", key_id=key_id, seq=seq, entry=record.entry.id,
                              kind=record.entry.kind.label, approvals=len(record.approvals))
            return Answer(Status.APPENDED, new.next_seq)

    # Helpers ---------------------------------------------------------------------------------------
    def _signer(self) -> Signer:
        if self.signer is None:
            raise ValueError("this log book was opened without the member's signing key")
        return self.signer

    def _dir(self, key_id: str) -> Path:
        return self.root / key_id

    def _all_keys(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.exists() else []

    def _record_files(self, key_id: str) -> list[Path]:
        folder = self._dir(key_id) / "records"
        files = sorted(folder.glob("*.rec")) if folder.exists() else []
        for i, path in enumerate(files):
            if path.name != f"{i:0{SEQ_WIDTH}d}.rec":
                raise StorageError(f"{folder}: log record {i} is missing (found {path.name})")
        return files

    def _read_record(self, path: Path) -> tuple[int, LogRecord]:
        raw = path.read_bytes()
        try:
            return int.from_bytes(raw[:8], "big"), LogRecord.from_bytes(raw[8:])
        except LogDecodeError as exc:
            raise StorageError(f"{path}: damaged log record ({exc})") from None

    def _narrowed_names(self, key_id: str) -> tuple[str, ...]:
        """The `*.entry` file names of `narrowed/`, sorted (one listing)."""
        try:
            names = os.listdir(os.path.join(self.root, key_id, "narrowed"))
        except (FileNotFoundError, NotADirectoryError):
            return ()
        return tuple(sorted(n for n in names if n.endswith(".entry")))

    def _narrowed(self, key_id: str, names: tuple[str, ...] | None = None) -> Iterator[Entry]:
        folder = self._dir(key_id) / "narrowed"
        for name in self._narrowed_names(key_id) if names is None else names:
            yield Entry.from_bytes((folder / name).read_bytes())

    def _write(self, path: Path, data: bytes) -> None:
        write_atomic(path, data)

    def _halted(self) -> bool:
        self.resume_if_decided()
        return os.path.exists(f"{self.root}/{HALTED}")

    def _conflict(self, offered: LogRecord, stored: LogRecord, next_seq: int) -> Answer:
        """Another record at a sequence number this member has accepted. With a valid quorum of
        its own it is fork evidence: keep both and approve nothing more until an operator looks."""
        key_id, seq = stored.entry.key_id, stored.entry.seq
        reason = f"entry {seq} of key {key_id} is already {stored.entry.id}"
        if (self._dir(key_id) / "forks" / "dropped" / offered.entry.id).exists():
            return Answer(Status.REFUSED, next_seq, rule="log.fork-resolved",
                          reason=f"{reason}; entry {offered.entry.id} was dropped by this member's operator "
                                 "after a fork (events.jsonl: log-fork-resolved)")
        objection = self.witness_handed(offered.entry) or _rival_genesis_unproven(offered, stored)
        if objection is not None:  # not evidence of a fork: nothing this member trusts approved it
            return Answer(Status.REFUSED, next_seq, reason=f"{reason}; the other record: {objection}",
                          rule="member.witness")
        before = self._state_before(key_id, seq)
        try:
            apply(before, offered.entry, offered.approvals, None)
        except LogRuleError as exc:
            return Answer(Status.REFUSED, next_seq, reason=f"{reason}; the other record: {exc}", rule="log.conflict")
        self._write(self.root / HALTED, offered.to_bytes() + stored.to_bytes())
        self.events.event("log-fork-seen", key_id=key_id, seq=seq, stored=stored.entry.id, offered=offered.entry.id)
        return Answer(Status.REFUSED, next_seq, reason=f"{reason}: a fork; this member approves nothing more "
                                                       "until an operator looks", rule="log.fork")

    def _state_before(self, key_id: str, seq: int) -> LogState:
        """The state of this member's log before entry `seq` (its first `seq` records folded)."""
        before = LogState(key_id)
        for earlier in self.records(key_id, 0, seq) if seq else []:
            before = apply(before, earlier.entry, earlier.approvals, None)
        return before

    # Forks (council/node/log_fork.py) -------------------------------------------------------------
    def fork_evidence(self) -> ForkEvidence | None:
        """The fork that halted this member, if it is halted."""
        path = self.root / HALTED
        return read_evidence(path) if path.exists() else None

    def check_fork_choice(self, key_id: str, seq: int, entry_id: str) -> tuple[ForkEvidence, LogRecord, LogRecord]:
        """(evidence, kept, dropped) if keeping `entry_id` at `seq` stands: it is one of the two
        entries of the fork this member saw, and its record follows this member's log before `seq`
        with `t` valid approvals; ForkChoiceRefused (naming the check) if not."""
        with self._lock:
            evidence = self.fork_evidence()
            if evidence is None:
                raise ForkChoiceRefused(f"this member is not halted ({self.root / HALTED} does not exist)")
            if (key_id, seq) != (evidence.key_id, evidence.seq):
                raise ForkChoiceRefused(f"the fork this member saw is at {evidence.describe()}; not at key "
                                        f"{key_id} entry {seq}")
            picked = evidence.pick(entry_id)
            if picked is None:
                raise ForkChoiceRefused(f"entry {entry_id} is not one of the two entries of the fork "
                                        f"({evidence.describe()}): only one of those can be kept")
            kept, dropped = picked
            if self.state(key_id).next_seq <= seq:
                raise ForkChoiceRefused(f"this member's log of key {key_id} ends before entry {seq}")
            try:
                apply(self._state_before(key_id, seq), kept.entry, kept.approvals, None)
            except LogRuleError as exc:
                raise ForkChoiceRefused(f"entry {kept.entry.id} does not follow this member's log before entry "
                                        f"{seq} with t valid approvals of that epoch: {exc}") from None
            return evidence, kept, dropped

    def decide_fork(self, key_id: str, seq: int, entry_id: str, by: str) -> ForkDecision:
        """Record the operator's choice of branch (checked first); the member applies it at its
        next log call (`resume_if_decided`). `member resume-log`."""
        with self._lock:
            _, kept, dropped = self.check_fork_choice(key_id, seq, entry_id)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock() / 1000))
            decision = ForkDecision(key_id, seq, kept.entry.id, dropped.entry.id, by, at)
            self._write(self.root / DECISION, decision.to_bytes())
            self.events.event("log-fork-decided", key_id=key_id, seq=seq, keep=kept.entry.id, drop=dropped.entry.id,
                              by=by[:64], approvals=len(kept.approvals))
            return decision

    def resume_if_decided(self) -> ForkDecision | None:
        """Apply the operator's recorded choice of branch, checked again here (see log_fork.py);
        a choice that does not stand is set aside (`log-fork-decision-refused`) and the member
        stays halted. Safe to re-run after a crash at any step."""
        with self._lock:
            if not (os.path.exists(f"{self.root}/{HALTED}") and os.path.exists(f"{self.root}/{DECISION}")):
                return None  # the usual case, asked by every hand-over: two `stat`s, no path objects
            halted, decided = self.root / HALTED, self.root / DECISION
            try:
                decision = ForkDecision.from_bytes(decided.read_bytes(), str(decided))
                _, kept, dropped = self.check_fork_choice(decision.key_id, decision.seq, decision.keep)
            except (ForkChoiceRefused, StorageError) as exc:
                os.replace(decided, self.root / f"{DECISION}.refused-{self.clock()}")
                self.events.event("log-fork-decision-refused", reason=str(exc)[:300])
                return None
            key_id, seq = decision.key_id, decision.seq
            archive = self._dir(key_id) / "forks" / f"{seq:0{SEQ_WIDTH}d}-{kept.entry.id[:16]}"
            switched = self.records(key_id, seq, 1)[0].entry.digest != kept.entry.digest
            if switched:
                self._switch_branch(key_id, seq, kept, archive)
            self._write(self._dir(key_id) / "forks" / "dropped" / dropped.entry.id, dropped.to_bytes())
            self._write(archive / "HALTED", halted.read_bytes())
            self._write(archive / "decision.json", decision.to_bytes())
            halted.unlink()
            decided.unlink()
            self.events.event("log-fork-resolved", key_id=key_id, seq=seq, keep=kept.entry.id, drop=dropped.entry.id,
                              by=decision.by[:64], switched_branch=switched, evidence=str(archive))
            return decision

    def _switch_branch(self, key_id: str, seq: int, kept: LogRecord, archive: Path) -> None:
        """Records `seq`.. go to `archive`, narrowing ones among them stay in force here, `kept`
        takes place `seq`. The records folder stays a contiguous prefix at every step."""
        try:
            state = self._state_before(key_id, seq)
            end = self.state(key_id).next_seq
            for n in range(seq, end):
                path = self._record_path(key_id, n)
                self._write(archive / "records" / path.name, path.read_bytes())
                record = self._read_record(path)[1]
                if classify(state, record.entry) is Effect.NARROWING:
                    self._write(self._dir(key_id) / "narrowed" / f"{record.entry.id}.entry", record.entry.to_bytes())
                state = apply(state, record.entry, record.approvals, None)
            for n in range(end - 1, seq, -1):
                self._record_path(key_id, n).unlink()
            self._write(self._record_path(key_id, seq), self.clock().to_bytes(8, "big") + kept.to_bytes())
        finally:  # every cached fold of this key: a switch at the last seq leaves next_seq as it was
            self._states.pop(key_id, None)
            self._acting.pop(key_id, None)
            self._effective.pop(key_id, None)


def _rival_genesis_unproven(offered: LogRecord, stored: LogRecord) -> str | None:
    """A second genesis is fork evidence only if `t` members of the stored genesis's roster approved
    it too (they equivocated): its own roster is any roster its author chose, and a rival
    approved only by that would let anyone with a roster certificate halt this member."""
    if not isinstance(offered.entry.body, Genesis) or not isinstance(stored.entry.body, Genesis):
        return None
    roster = stored.entry.body.roster
    keys = {m.signing_key for m in roster.members}
    signers = {a.member_key for a in offered.approvals if a.member_key in keys and a.is_valid_for(offered.entry)}
    if len(signers) >= roster.threshold:
        return None
    return (f"a rival genesis approved by {len(signers)} members of the stored genesis roster, "
            f"{roster.threshold} needed to show that they approved two")
