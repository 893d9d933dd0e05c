"""One approval per sequence number: the guard, and a hypothesis search for forks.

The simulated members keep their approvals (seq → digest) in a dict that survives restarts, as
the adapter's fsynced file does; a crash between persisting and answering loses the answer only.
Two operators propose conflicting entries at every sequence number; members learn of accepted
entries late or not at all. Never do two entries reach t approvals at one sequence number —
and with a member that forgets its approvals on restart, they do (the control).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.log import (
    Approval,
    Effect,
    Entry,
    LogState,
    Role,
    Verdict,
    apply,
    approve,
    one_per_sequence,
    review,
)
from council.log import bodies as b
from council.log.sim import SAMPLE_TIME_MS, Council

NOW = SAMPLE_TIME_MS


def test_the_guard() -> None:
    d1, d2 = b"\x01" * 32, b"\x02" * 32
    assert one_per_sequence({}, 4, d1) is Verdict.APPROVE
    assert one_per_sequence({4: d1}, 4, d1) is Verdict.REPEAT
    assert one_per_sequence({4: d1}, 4, d2) is Verdict.REFUSE
    assert one_per_sequence({4: d1}, 5, d2) is Verdict.APPROVE


def test_review_after_a_crash_between_persisting_and_answering() -> None:
    c = Council.create(n=3, t=2, operators=2)
    a = c.entry(c.operator("op1"), Role.OPERATOR, b.RosterProposed(c.make_roster(["m1", "m2", "m3"], 2)))
    other = c.entry(c.operator("op2"), Role.OPERATOR, b.RosterProposed(c.make_roster(["m1", "m2", "m4"], 2)))
    persisted: dict[int, bytes] = {}
    first = review(c.state, a, persisted, NOW)
    assert first.verdict is Verdict.APPROVE and first.needs_operator and first.effect is Effect.WIDENING
    persisted[a.seq] = a.digest  # persisted ... killed before answering; restarted with the file
    again = review(c.state, a, dict(persisted), NOW)
    assert again.verdict is Verdict.REPEAT and approve(c.signer("m1"), a) == approve(c.signer("m1"), a)
    refused = review(c.state, other, dict(persisted), NOW)
    assert refused.verdict is Verdict.REFUSE and refused.rule == "approval.one-per-sequence"
    assert a.digest.hex() in refused.reason


def test_review_refusals() -> None:
    c = Council.create(n=3, t=2)
    bad = c.entry(c.operator(), Role.OPERATOR, b.RosterProposed(c.make_roster(["m1", "m2", "m3", "m4"], 2)))
    d = review(c.state, bad, {}, NOW)
    assert (d.verdict, d.rule) == (Verdict.REFUSE, "roster.majority") and "must exceed n/2" in d.reason
    assert review(c.state, bad, {}, NOW, halted=True).rule == "fork.halted"
    expired = c.entry(c.operator(), Role.OPERATOR, b.RecoveryRequested.make(b"r" * 16, "w", 1, bytes(32), 0))
    assert review(c.state, expired, {}, NOW).rule == "request.expired"
    future = c.entry(c.operator(), Role.OPERATOR,
                     b.RecoveryRequested.make(b"r" * 16, "w", 1, bytes(32), NOW + 3_600_000))
    assert review(c.state, future, {}, NOW).rule == "request.future"
    fresh = c.entry(c.operator(), Role.OPERATOR, b.RecoveryRequested.make(b"r" * 16, "w", 1, bytes(32), NOW))
    assert review(c.state, fresh, {}, NOW).needs_operator
    narrowing = c.entry(c.signer("m1"), Role.MEMBER, b.Freeze(None, "x"))
    decision = review(c.state, narrowing, {}, NOW)
    assert decision.verdict is Verdict.APPROVE and not decision.needs_operator


@dataclass
class Member:
    name: str
    known: int = 0  # index in the chain of the newest state this member has caught up with
    approved: dict[int, bytes] = field(default_factory=dict)  # the persisted file


@dataclass
class World:
    """Two operators racing at every sequence number; members with late views."""

    council: Council
    forgetful: bool = False
    chain: list[LogState] = field(default_factory=list)
    proposals: dict[tuple[str, int], Entry] = field(default_factory=dict)
    pools: dict[bytes, dict[str, Approval]] = field(default_factory=dict)
    accepted: dict[int, set[bytes]] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    @classmethod
    def create(cls, n: int, t: int, forgetful: bool = False) -> World:
        c = Council.create(n=n, t=t, operators=2)
        w = cls(c, forgetful, [c.state])
        w.members = {m: Member(m) for m in c.members}
        return w

    def proposal(self, op: str, seq: int) -> Entry:
        key = (op, seq)
        if key not in self.proposals:
            state = self.chain[seq - 1]  # chain[i] is the state whose next sequence number is i + 1
            body = b.Freeze(None, f"{op} at {seq}")
            self.proposals[key] = self.council.entry(self.council.operator(op), Role.OPERATOR, body,
                                                     seq=seq, previous=state.head)
        return self.proposals[key]

    def ask(self, name: str, op: str, back: int, crash: bool) -> None:
        """The operator asks member `name` to approve its proposal at (top - back)."""
        seq = max(1, len(self.chain) - back)
        entry = self.proposal(op, seq)
        member = self.members[name]
        view = self.chain[min(member.known, len(self.chain) - 1)]
        decision = review(view, entry, member.approved, NOW)
        if decision.verdict is Verdict.REFUSE:
            return
        member.approved[entry.seq] = entry.digest  # persist before answering
        if crash:
            self.restart(name)
            return
        self.deliver(entry, name, approve(self.council.signer(name), entry))

    def deliver(self, entry: Entry, name: str, approval: Approval) -> None:
        pool = self.pools.setdefault(entry.digest, {})
        pool[name] = approval
        if len(pool) >= self.council.roster.threshold:
            self.accepted.setdefault(entry.seq, set()).add(entry.digest)
            if entry.seq == len(self.chain):
                self.chain.append(apply(self.chain[-1], entry, pool.values(), NOW))

    def restart(self, name: str) -> None:
        if self.forgetful:
            self.members[name].approved = {}

    def catch_up(self, name: str) -> None:
        self.members[name].known = len(self.chain) - 1

    def forks(self) -> dict[int, set[bytes]]:
        return {s: d for s, d in self.accepted.items() if len(d) > 1}


ACTIONS = st.one_of(
    st.tuples(st.just("ask"), st.integers(1, 5), st.sampled_from(["op1", "op2"]), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("restart"), st.integers(1, 5)),
    st.tuples(st.just("catch-up"), st.integers(1, 5)),
)


def run(world: World, actions: list[tuple[object, ...]]) -> None:
    n = len(world.members)
    for action in actions:
        name = f"m{(int(action[1]) - 1) % n + 1}"  # type: ignore[call-overload]
        if action[0] == "ask":
            world.ask(name, str(action[2]), int(action[3]), bool(action[4]))  # type: ignore[call-overload]
        elif action[0] == "restart":
            world.restart(name)
        else:
            world.catch_up(name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([(3, 2), (4, 3), (5, 3)]), st.lists(ACTIONS, min_size=5, max_size=60))
def test_never_two_accepted_entries_at_one_sequence(nt: tuple[int, int], actions: list[tuple[object, ...]]) -> None:
    world = World.create(*nt)
    run(world, actions)
    assert world.forks() == {}
    assert all(s.next_seq == k + 1 for k, s in enumerate(world.chain))


def test_the_control_a_member_that_forgets_its_approvals_makes_a_fork() -> None:
    script: list[tuple[object, ...]] = [
        ("ask", 1, "op1", 0, False), ("ask", 2, "op1", 0, False),   # op1's entry at 1 accepted by m1, m2
        ("restart", 2),                                              # m2 forgets (no persisted file)
        ("ask", 2, "op2", 1, False), ("ask", 3, "op2", 1, False),   # m2 and stale m3 approve op2's at 1
    ]
    honest, forgetful = World.create(3, 2), World.create(3, 2, forgetful=True)
    run(honest, script)
    run(forgetful, script)
    assert honest.forks() == {}
    assert list(forgetful.forks()) == [1]
