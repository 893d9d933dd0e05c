"""A member's own narrowing entries in its log book: in effect at once, part of the state once
accepted, lifted by an accepted unfreeze (also when the freeze lost its sequence number and was
re-proposed), and its own freeze refuses the next sealer admission it is asked to approve."""

from __future__ import annotations

import io
from pathlib import Path

from council.log import Freeze, SealerAdmitted, Unfreeze
from council.log.kinds import Role
from council.log.sim import Council
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_book import LogBook, Status
from dumps.evidence import simulated_evidence


def _book(tmp_path: Path, sim: Council) -> LogBook:
    book = LogBook(tmp_path / "council", sim.signer("m1"), EventLog("m1", stream=io.StringIO()), Governance,
                   clock=lambda: 1_000)
    for record in sim.records:
        assert book.accept(record).status is Status.APPENDED
    return book


def _sync(book: LogBook, sim: Council) -> None:
    for record in sim.records[book.state(sim.key_id).next_seq:]:
        assert book.accept(record).status is Status.APPENDED


def test_freeze_at_once_then_accepted_then_lifted(tmp_path: Path) -> None:
    sim = Council.create(n=3, t=2)
    book = _book(tmp_path, sim)
    freeze = sim.entry(sim.signer("m1"), Role.MEMBER, Freeze(None, "incident"))
    assert book.propose(freeze).status is Status.APPROVED
    assert book.effective(sim.key_id).frozen is not None and book.state(sim.key_id).frozen is None  # at once
    sim.accept(freeze, ["m1", "m2"])
    _sync(book, sim)
    assert book.effective(sim.key_id).frozen is not None
    sim.add(sim.operator(), Role.OPERATOR, Unfreeze("patched"), ["m2", "m3"])
    _sync(book, sim)
    assert book.effective(sim.key_id).frozen is None                   # lifted by t, on m1 too


def test_freeze_that_lost_its_sequence_number_stays_until_accepted(tmp_path: Path) -> None:
    sim = Council.create(n=3, t=2)
    book = _book(tmp_path, sim)
    lost = sim.entry(sim.signer("m1"), Role.MEMBER, Freeze(None, "incident"))
    assert book.propose(lost).status is Status.APPROVED
    sim.add(sim.operator(), Role.OPERATOR, Freeze(None, "other operator"), ["m2", "m3"])   # won seq
    _sync(book, sim)
    sim.add(sim.operator(), Role.OPERATOR, Unfreeze("lifted"), ["m2", "m3"])
    _sync(book, sim)
    assert book.effective(sim.key_id).frozen is not None               # m1's own freeze still holds
    sim.add(sim.signer("m1"), Role.MEMBER, Freeze(None, "incident"), ["m1", "m2"])     # re-proposed
    sim.add(sim.operator(), Role.OPERATOR, Unfreeze("lifted again"), ["m2", "m3"])
    _sync(book, sim)
    assert book.effective(sim.key_id).frozen is None


def test_own_freeze_refuses_the_next_admission_at_once(tmp_path: Path) -> None:
    from council.attestation.policy import Policy, set_options
    from council.log import PolicyChanged
    from council.node.release.log_admission import sealer_objection

    sim = Council.create(n=3, t=2)
    sim.add(sim.operator(), Role.OPERATOR, PolicyChanged(set_options(Policy(), simulated=True)), ["m1", "m2"])
    book = _book(tmp_path, sim)
    key = sim.sealer().public_key
    body = SealerAdmitted(key, "simulated", b"", "", "simulated", simulated_evidence(key).data)
    assert sealer_objection(book.effective(sim.key_id), body, None) is None
    assert book.propose(sim.entry(sim.signer("m1"), Role.MEMBER, Freeze(None, "TCB day"))).status is Status.APPROVED
    objection = sealer_objection(book.effective(sim.key_id), body, None)
    assert objection is not None and "admissions are frozen (TCB day)" in objection
    forged = SealerAdmitted(key, "simulated", b"", "", "simulated", simulated_evidence(bytes(32)).data)
    assert "does not bind" in (sealer_objection(book.state(sim.key_id), forged, None) or "")


def test_the_kept_meet_is_for_the_very_same_policy_objects_only() -> None:
    """effective_policy keeps the last meet by the identity of its two policies: a local file
    re-read as a stricter policy, or a log state with a revocation, is met again at once."""
    from types import SimpleNamespace

    from council.attestation.policy import Policy, set_options
    from council.node.release.log_admission import effective_policy

    logged = set_options(Policy(), simulated=True)
    state = SimpleNamespace(admission_policy=lambda: logged)
    open_local = SimpleNamespace(policy_file=SimpleNamespace(current=lambda: set_options(Policy(), simulated=True)))
    assert effective_policy(state, open_local).allow_simulated  # type: ignore[arg-type]
    strict = Policy(allow_simulated=False)
    strict_local = SimpleNamespace(policy_file=SimpleNamespace(current=lambda: strict))
    assert not effective_policy(state, strict_local).allow_simulated  # type: ignore[arg-type]
    assert effective_policy(state, strict_local) is effective_policy(state, strict_local)  # type: ignore[arg-type]
    revoked = Policy(allow_simulated=True, revoked_sealer_keys=("ab" * 32,))
    state2 = SimpleNamespace(admission_policy=lambda: revoked)
    assert effective_policy(state2, strict_local).revoked_sealer_keys == ("ab" * 32,)  # type: ignore[arg-type]
