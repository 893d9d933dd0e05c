"""A member's checks before it takes part in a ceremony follow the council log exactly (decision
140). (1) Catch-up to an epoch older than the log's current one compared nothing: one operator
could write an old roster and a fake epoch of its own, deal the lagging member a share of a key
it knows, and the member stored it, served the fake roster and erased its real share. Now the
request's rosters must be the ones the log's genesis and epoch-committed entries record for that
epoch and the one before. (2) A re-share to the current roster while another roster is pending
was dealt, though the log can never record it (rule epoch.roster)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from council.crypto.messages import Kind
from council.errors import PolicyRefused
from council.log import EpochCommitted, RosterProposed
from council.log.kinds import Role
from council.log.sim import Council
from council.node.events import EventLog
from council.node.governance import Governance
from council.node.log_book import LogBook, Status
from council.node.spec import _check_logged_epoch, _check_logged_rosters
from council.roster import Roster


def _commit(sim: Council, roster: Roster, epoch: int) -> None:
    sim.add(sim.operator(), Role.OPERATOR, RosterProposed(roster))
    digest = hashlib.sha256(b"transcript %d" % epoch).digest()
    sim.add(sim.signer(roster.members[0].name), Role.MEMBER, EpochCommitted(epoch, roster.digest(), digest))


def _book(tmp_path: Path, sim: Council) -> LogBook:
    book = LogBook(tmp_path / "council", sim.signer("m1"), EventLog("m1", tmp_path / "events.jsonl", echo=False),
                   Governance, clock=lambda: 1_000)
    for record in sim.records:
        assert book.accept(record).status is Status.APPENDED
    return book


def _request(sim: Council, epoch: int, old: Roster, new: Roster, public_key: bytes | None = None) -> SimpleNamespace:
    """What the checks read of a signed re-share request (its previous epoch's public key: the log's)."""
    key = SimpleNamespace(to_bytes=lambda: public_key if public_key is not None else sim.state.public_key)
    previous = SimpleNamespace(commit=SimpleNamespace(public_key=key))
    return SimpleNamespace(request=SimpleNamespace(kind=Kind.RESHARE, key_id=sim.key_id, epoch=epoch,
                                                   old_roster=old, new_roster=new, previous=previous))


@pytest.fixture
def history(tmp_path: Path) -> tuple[Council, LogBook, list[Roster]]:
    """Epochs 0, 1, 2 of a key, each to another roster, in a member's log."""
    sim = Council.create(n=3, t=2)
    rosters = [sim.roster, sim.make_roster(["m1", "m2", "m4"], 2), sim.make_roster(["m1", "m4", "m5"], 2)]
    _commit(sim, rosters[1], 1)
    _commit(sim, rosters[2], 2)
    return sim, _book(tmp_path, sim), rosters


def test_catch_up_to_an_older_epoch_takes_only_the_rosters_the_log_records(history) -> None:  # type: ignore[no-untyped-def]
    sim, book, rosters = history
    state = book.effective(sim.key_id)
    _check_logged_epoch(_request(sim, 1, rosters[0], rosters[1]), state, book)  # the real one
    forged = sim.make_roster(["m1", "m6", "m7"], 2)  # the lagging member m1 with keys the operator holds
    with pytest.raises(PolicyRefused, match="epoch 1: the council log records"):
        _check_logged_epoch(_request(sim, 1, rosters[0], forged), state, book)
    with pytest.raises(PolicyRefused, match="epoch 0: the council log records"):
        _check_logged_epoch(_request(sim, 1, forged, rosters[1]), state, book)
    other_key = bytes([2]) + bytes(31) + bytes([1])
    with pytest.raises(PolicyRefused, match="previous epoch's public key is not the key's public key"):
        _check_logged_epoch(_request(sim, 2, rosters[1], rosters[2], other_key), state, book)


def test_a_re_share_to_the_current_roster_while_another_is_pending_is_refused(tmp_path: Path) -> None:
    sim = Council.create(n=3, t=2)
    pending = sim.make_roster(["m1", "m2", "m4"], 2)
    sim.add(sim.operator(), Role.OPERATOR, RosterProposed(pending))
    state = _book(tmp_path, sim).effective(sim.key_id)
    with pytest.raises(PolicyRefused, match="not accepted in the key's council log"):
        _check_logged_rosters(_request(sim, 1, sim.roster, sim.roster), state)  # type: ignore[arg-type]
    _check_logged_rosters(_request(sim, 1, sim.roster, pending), state)  # type: ignore[arg-type]
