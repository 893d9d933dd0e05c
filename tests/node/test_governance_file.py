"""A member's governance.toml is read on every widening proposal and parsed again whenever its bytes
change (decision 128): an edit takes effect at the next proposal, a broken edit is refused then,
and a removed file means the all-manual default again. Its roster limits count a kept signing key
with another card as a changed member and never cover a change to the operators."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from council.crypto.group import P256, Scalar
from council.log import Entry, RosterProposed
from council.log.kinds import Role
from council.log.sim import Council, seeded_signer
from council.node.governance import FILE_NAME, Governance, GovernanceInvalid, load_governance
from council.roster import OperatorCard, Roster


def test_every_edit_is_seen_at_the_next_read(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    assert load_governance(tmp_path) == Governance()
    path.write_text('[auto_approve]\nkinds = ["recovery-requested"]\n')
    first = load_governance(tmp_path)
    assert first.auto_kinds == frozenset({"recovery-requested"}) and load_governance(tmp_path) is first  # parsed once
    path.write_text('[auto_approve]\nkinds = ["roster-proposed"]\n')
    assert load_governance(tmp_path).auto_kinds == frozenset({"roster-proposed"})
    path.write_text('[auto_approve]\nkinds = ["genesis"]\n')
    with pytest.raises(GovernanceInvalid, match="not a widening kind"):
        load_governance(tmp_path)
    path.write_text("not toml [")
    with pytest.raises(GovernanceInvalid, match="not valid TOML"):
        load_governance(tmp_path)
    path.unlink()
    assert load_governance(tmp_path) == Governance()


# Roster limits: a kept signing key with another card, or other operators, is not "the same members".
# An operator that swapped t members' encryption keys for its own would decrypt t new shares at the
# next re-share (its driver relays the dealings); one more operator could drive ceremonies and
# request recoveries.

def _proposal(sim: Council, roster: Roster) -> Entry:
    return sim.entry(sim.operator(), Role.OPERATOR, RosterProposed(roster))


def _with_card(roster: Roster, index: int, **fields: object) -> Roster:
    """The roster with member `index` (1-based) keeping its signing key, other fields replaced."""
    members = list(roster.members)
    members[index - 1] = replace(members[index - 1], **fields)  # type: ignore[arg-type]
    return replace(roster, members=tuple(members))


def _other_encryption_key(label: str) -> bytes:
    return P256.base_mul(Scalar.reduce(int.from_bytes(hashlib.sha256(label.encode()).digest(), "big"))).to_bytes()


SAME_MEMBERS = Governance(frozenset({"roster-proposed"}))  # max_members_changed = 0, the default


@pytest.mark.parametrize("field, value", [("encryption_key", _other_encryption_key("attacker-1")),
                                          ("tls_cert", "attacker's certificate"),
                                          ("address", "203.0.113.9:7000"), ("name", "m9")],
                         ids=["encryption_key", "tls_cert", "address", "name"])
def test_a_kept_signing_key_with_another_card_is_a_changed_member(field: str, value: object) -> None:
    sim = Council.create(n=3, t=2)
    assert sim.state.roster is not None
    swapped = _with_card(sim.state.roster, 2, **{field: value})
    assert SAME_MEMBERS.allows(sim.state, _proposal(sim, swapped)) is None


def test_the_same_cards_with_a_higher_threshold_are_approved() -> None:
    sim = Council.create(n=3, t=2)
    assert sim.state.roster is not None
    why = SAME_MEMBERS.allows(sim.state, _proposal(sim, replace(sim.state.roster, threshold=3)))
    assert why is not None and "at most 0 members changed (0 here" in why


def _operators_changed(roster: Roster, how: str) -> Roster:
    """The roster with an operator added, one removed, or one's certificate replaced."""
    ops = roster.operators
    if how == "added":
        extra = OperatorCard("op3", seeded_signer(b"attacker", "operator-3").public_key, "test-certificate-of-op3")
        return replace(roster, operators=(*ops, extra))
    if how == "removed":
        return replace(roster, operators=ops[:1])
    return replace(roster, operators=(replace(ops[0], tls_cert="attacker's certificate"), *ops[1:]))


@pytest.mark.parametrize("how", ["added", "removed", "recarded"])
def test_any_change_to_the_operators_needs_the_operator(how: str) -> None:
    sim = Council.create(n=3, t=2, operators=2)
    assert sim.state.roster is not None
    proposal = _proposal(sim, _operators_changed(sim.state.roster, how))
    anything = Governance(frozenset({"roster-proposed"}), max_members_changed=1000, allow_lower_threshold=True)
    assert SAME_MEMBERS.allows(sim.state, proposal) is None
    assert anything.allows(sim.state, proposal) is None


def test_each_member_with_another_card_counts_once() -> None:
    sim = Council.create(n=3, t=2)
    current = sim.state.roster
    assert current is not None
    one = _with_card(current, 1, encryption_key=_other_encryption_key("attacker-1"))
    two = _with_card(one, 2, encryption_key=_other_encryption_key("attacker-2"))
    one_changed = Governance(frozenset({"roster-proposed"}), max_members_changed=1)
    why = one_changed.allows(sim.state, _proposal(sim, one))
    assert why is not None and "(1 here" in why
    assert one_changed.allows(sim.state, _proposal(sim, two)) is None
