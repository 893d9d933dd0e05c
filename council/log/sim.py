"""A deterministic in-memory council that writes a log: for tests, test vectors, benchmarks, demos.

Every identity comes from a seed (Ed25519 signatures are deterministic), so the same calls give
the same bytes. It drives the real `rules`: `accept` gathers approvals and folds with `apply`,
so anything it builds is a log a verifier must accept, and any rule it breaks raises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from council.crypto.group import P256, Scalar
from council.crypto.signing import Signer
from council.log.bodies import Body, Genesis
from council.log.entry import Approval, Entry, LogRecord, approve, sign_entry, sign_release
from council.log.kinds import Role
from council.log.rules import apply, fold
from council.log.state import LogState
from council.roster import MemberCard, OperatorCard, Roster


def seeded_signer(seed: bytes, label: str) -> Signer:
    """An Ed25519 identity derived from a seed and a label (test identities only)."""
    return Signer.from_seed(hashlib.sha256(seed + b"/" + label.encode()).digest())


def _scalar(seed: bytes, label: str) -> Scalar:
    return Scalar.reduce(int.from_bytes(hashlib.sha256(seed + b"/" + label.encode()).digest(), "big"))


@dataclass
class Council:
    """Members, operators and sealers of one key, its log so far, and its folded state."""

    key_id: str
    seed: bytes
    members: dict[str, Signer]
    operators: dict[str, Signer]
    roster: Roster
    state: LogState
    records: list[LogRecord] = field(default_factory=list)
    sealers: dict[str, Signer] = field(default_factory=dict)

    @classmethod
    def create(cls, key_id: str = "app-key", n: int = 5, t: int = 3, seed: bytes = b"keycouncil-log-sim",
               operators: int = 1, genesis: bool = True, now: int | None = None) -> Council:
        """A council of `n` members (m1..mn) with threshold `t`; genesis accepted unless told not to."""
        members = {f"m{i}": seeded_signer(seed, f"member-{i}") for i in range(1, n + 1)}
        ops = {f"op{i}": seeded_signer(seed, f"operator-{i}") for i in range(1, operators + 1)}
        council = cls(key_id, seed, members, ops, Roster(1, (MemberCard("x", "x", bytes(32), bytes(33), "x"),)),
                      LogState(key_id))
        council.roster = council.make_roster(list(members), t)
        if genesis:
            council.add(council.operator(), Role.OPERATOR, council.genesis_body(), now=now)
        return council

    def signer(self, name: str) -> Signer:
        """The member, operator or sealer called `name`, created (as a member) if new."""
        for pool in (self.members, self.operators, self.sealers):
            if name in pool:
                return pool[name]
        self.members[name] = seeded_signer(self.seed, f"member-{name[1:] if name[0] == 'm' else name}")
        return self.members[name]

    def operator(self, name: str = "op1") -> Signer:
        return self.operators[name]

    def sealer(self, name: str = "sealer1") -> Signer:
        """A sealer identity (created on first use; admit it with a SealerAdmitted entry)."""
        if name not in self.sealers:
            self.sealers[name] = seeded_signer(self.seed, f"sealer-{name}")
        return self.sealers[name]

    def make_roster(self, names: Sequence[str], t: int, operator_names: Sequence[str] | None = None) -> Roster:
        """A roster of the named members (index order as given) and operators."""
        cards = []
        for name in names:
            s = self.signer(name)
            cards.append(MemberCard(name, f"127.0.0.1:{20000 + int(hashlib.sha256(name.encode()).hexdigest()[:4], 16)}",
                                    s.public_key, P256.base_mul(_scalar(self.seed, f"enc-{name}")).to_bytes(),
                                    f"test-certificate-of-{name}"))
        ops = tuple(OperatorCard(o, self.operators[o].public_key, f"test-certificate-of-{o}")
                    for o in (operator_names if operator_names is not None else list(self.operators)))
        return Roster(t, tuple(cards), ops)

    def genesis_body(self) -> Genesis:
        y = P256.base_mul(_scalar(self.seed, f"key-{self.key_id}")).to_bytes()
        return Genesis(0, self.roster, y, hashlib.sha256(self.seed + b"/transcript-0").digest())

    def entry(self, author: Signer, role: Role, body: Body, seq: int | None = None,
              previous: bytes | None = None) -> Entry:
        """A signed entry extending the current head (or at a given position, to test rules)."""
        return sign_entry(author, role, self.key_id, self.state.next_seq if seq is None else seq,
                          self.state.head if previous is None else previous, body)

    def approvals(self, entry: Entry, names: Sequence[str] | None = None) -> list[Approval]:
        """Approvals of `entry` by the named members (default: the first t of the approving roster)."""
        roster = entry.body.roster if isinstance(entry.body, Genesis) else (self.state.roster or self.roster)
        if names is None:
            names = [m.name for m in roster.members[:roster.threshold]]
        return [approve(self.signer(n), entry) for n in names]

    def accept(self, entry: Entry, names: Sequence[str] | None = None, now: int | None = None,
               check: bool = True) -> LogRecord:
        """Approve with the named members, fold with `rules.apply`, append the record.

        `check=False` folds without checking (`rules.fold`): for building large logs quickly.
        """
        record = LogRecord.of(entry, self.approvals(entry, names))
        self.state = apply(self.state, entry, record.approvals, now) if check else fold(self.state, entry, now)
        self.records.append(record)
        if isinstance(entry.body, Genesis):
            self.roster = entry.body.roster
        return record

    def add(self, author: Signer, role: Role, body: Body, names: Sequence[str] | None = None,
            now: int | None = None, check: bool = True) -> LogRecord:
        """Author, approve and accept one entry."""
        return self.accept(self.entry(author, role, body), names, now, check)


SAMPLE_TIME_MS = 1_752_000_000_000
"""2025-07-08T18:40:00Z: the creation time of the sample log's recovery requests."""


def sample_log(seed: bytes = b"keycouncil-log-sample", key_id: str = "app-key") -> Council:
    """A log with every kind of entry, in an order the rules accept (docs/log-format.md, vectors)."""
    from council.attestation.policy_model import Policy, SgxAllow
    from council.log import bodies as b

    c = Council.create(key_id, n=5, t=3, seed=seed)
    op, mrenclave = c.operator(), hashlib.sha256(seed + b"/mrenclave").digest()
    c.add(op, Role.OPERATOR, b.PolicyChanged(Policy(sgx=(SgxAllow(mrenclave, note="wallet enclave"),))))
    sealer = c.sealer()
    c.add(op, Role.OPERATOR, b.SealerAdmitted(sealer.public_key, "sgx", mrenclave, "UpToDate", "sgx-dcap",
                                              b"(quote bytes)"))
    d1, d2 = (hashlib.sha256(seed + f"/dump-{v}".encode()).digest() for v in (1, 2))
    c.add(sealer, Role.SEALER, b.DumpAnnounced("wallet", 1, d1))
    c.add(sealer, Role.SEALER, b.DumpAnnounced("wallet", 2, d2, d1))
    c.add(c.signer("m2"), Role.MEMBER, b.AdvisoryForbidden("INTEL-SA-00657", "TCB day"))
    c.add(c.signer("m3"), Role.MEMBER, b.Freeze(None, "TCB day: no admissions until the update"))
    c.add(op, Role.OPERATOR, b.Unfreeze("platforms updated"))
    nxt = c.make_roster(["m2", "m3", "m4", "m5", "m6", "m7"], 4)
    c.add(op, Role.OPERATOR, b.RosterProposed(nxt))
    c.add(c.signer("m2"), Role.MEMBER, b.EpochCommitted(1, nxt.digest(), hashlib.sha256(seed + b"/t1").digest()))
    rid = hashlib.sha256(seed + b"/request-1").digest()[:16]
    c.add(op, Role.OPERATOR, b.RecoveryRequested.make(rid, "wallet", 2, d2, SAMPLE_TIME_MS))
    for name in ("m2", "m3", "m4", "m5"):
        c.add(c.signer(name), Role.MEMBER, b.ShareReleased(rid, c.signer(name).public_key))
    c.add(op, Role.OPERATOR, b.OlderDumpAllowed("wallet", 2, d2, 1, d1, "version 2 fails to verify in the store"))
    rid2 = hashlib.sha256(seed + b"/request-2").digest()[:16]
    c.add(op, Role.OPERATOR, b.RecoveryRequested.make(rid2, "wallet", 1, d1, SAMPLE_TIME_MS + 60_000,
                                                      lifetime_ms=b.DAY_MS))
    c.add(c.signer("m4"), Role.MEMBER, b.SealerRevoked(sealer.public_key, "enclave retired"))
    c.add(op, Role.OPERATOR, b.KeyRotated(f"{key_id}-2"))
    c.add(op, Role.OPERATOR, b.KeyRetired(7 * b.DAY_MS, "superseded"))
    c.add(c.signer("m6"), Role.MEMBER, b.ShareReleased(rid2, c.signer("m6").public_key))
    c.add(op, Role.OPERATOR, b.SharesReleased.of(rid2, [sign_release(c.signer(m), key_id, rid2) for m in ("m5", "m7")]))
    return c


def busy_log(entries: int, n: int = 7, t: int = 4, seed: bytes = b"keycouncil-log-busy") -> Council:
    """A log of `entries` entries as a busy key writes them: mostly dump announcements of four apps,
    a recovery request with t releases every 100 entries, a roster change and commit every 2,000.
    Built without checks (`fold`); `verify_log` of it must pass."""
    from council.attestation.policy_model import Policy
    from council.log import bodies as b

    c = Council.create("busy-key", n=n, t=t, seed=seed)
    op = c.operator()
    c.add(op, Role.OPERATOR, b.PolicyChanged(Policy(allow_simulated=True)), check=False)
    sealer = c.sealer()
    c.add(op, Role.OPERATOR, b.SealerAdmitted(sealer.public_key, "simulated", b"", "", "simulated", b""), check=False)
    apps = [f"app-{i}" for i in range(4)]
    epoch, k = 0, 0
    while c.state.next_seq < entries:
        k += 1
        seq = c.state.next_seq
        if seq % 2000 == 1999 and entries - seq >= 2:
            epoch += 1
            names = [m.name for m in c.state.roster.members] if c.state.roster else []
            nxt = c.make_roster([*names[1:], f"m{n + epoch}"], t)
            c.add(op, Role.OPERATOR, b.RosterProposed(nxt), check=False)
            c.add(c.signer(names[1]), Role.MEMBER,
                  b.EpochCommitted(epoch, nxt.digest(), hashlib.sha256(seed + bytes([epoch])).digest()), check=False)
        elif seq % 100 == 50 and entries - seq > t:
            app = apps[k % 4]
            head = c.state.apps[app]
            rid = hashlib.sha256(seed + seq.to_bytes(8, "big")).digest()[:16]
            c.add(op, Role.OPERATOR, b.RecoveryRequested.make(rid, app, head.version, head.digest, SAMPLE_TIME_MS),
                  check=False)
            members = c.state.roster.members[:t] if c.state.roster else ()
            for m in members:
                c.add(c.signer(m.name), Role.MEMBER, b.ShareReleased(rid, m.signing_key), check=False)
        else:
            app = apps[k % 4]
            prev = c.state.apps.get(app)
            version = prev.version + 1 if prev else 1
            digest = hashlib.sha256(seed + app.encode() + version.to_bytes(8, "big")).digest()
            c.add(sealer, Role.SEALER, b.DumpAnnounced(app, version, digest, prev.digest if prev else b""),
                  check=False)
    return c
