"""The shares-released kind: t members' signed release statements in one entry (decision 124).

Attacks first: whoever appends the entry (an operator, a coordinator) holds only the statements the
members signed, so it cannot state a release a member did not make, move one member's statement to
another request or key, or record a member twice; any one bad statement among good ones is named.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from log_helpers import refused

from council.log import (
    Entry,
    Kind,
    LogDecodeError,
    ReleaseStatement,
    Role,
    SharesReleased,
    decode_body,
    sign_release,
)
from council.log import bodies as b
from council.log.sim import SAMPLE_TIME_MS, Council

OP, MEMBER, SEALER = Role.OPERATOR, Role.MEMBER, Role.SEALER
RID, OTHER = b"r" * 16, b"o" * 16


def council_with_request(n: int = 5, t: int = 3) -> Council:
    c = Council.create(n=n, t=t)
    c.add(c.operator(), OP, b.RecoveryRequested.make(RID, "wallet", 1, bytes(32), SAMPLE_TIME_MS))
    return c


def statements(c: Council, names: list[str], request_id: bytes = RID, key_id: str = "app-key") -> list[ReleaseStatement]:
    return [sign_release(c.signer(n), key_id, request_id) for n in names]


def test_one_entry_records_every_statement_and_the_once_rule_holds() -> None:
    c = council_with_request()
    c.add(c.operator(), OP, SharesReleased.of(RID, statements(c, ["m3", "m1", "m2"])))
    for name in ("m1", "m2", "m3"):
        assert c.state.released(RID, c.signer(name).public_key)
        assert c.state.may_release(RID, c.signer(name).public_key, SAMPLE_TIME_MS + 1000).rule == "release.once"
    assert c.state.may_release(RID, c.signer("m4").public_key, SAMPLE_TIME_MS + 1000).allowed
    refused(c, "op1", OP, SharesReleased.of(RID, statements(c, ["m4", "m2"])), "release.once")
    c.add(c.signer("m4"), MEMBER, SharesReleased.of(RID, statements(c, ["m4"])))  # a member may append it too


def test_the_batched_and_single_kinds_share_the_once_rule() -> None:
    c = council_with_request()
    c.add(c.signer("m1"), MEMBER, b.ShareReleased(RID, c.signer("m1").public_key))
    refused(c, "op1", OP, SharesReleased.of(RID, statements(c, ["m1", "m2"])), "release.once")
    c.add(c.operator(), OP, SharesReleased.of(RID, statements(c, ["m2"])))
    refused(c, "m2", MEMBER, b.ShareReleased(RID, c.signer("m2").public_key), "release.once")


def test_an_appender_cannot_forge_move_or_borrow_a_statement() -> None:
    c = council_with_request()
    c.add(c.operator(), OP, b.RecoveryRequested.make(OTHER, "wallet", 1, bytes(32), SAMPLE_TIME_MS))
    m1 = c.signer("m1").public_key
    forged = ReleaseStatement(m1, sign_release(c.signer("m2"), "app-key", RID).signature)  # m2 signed, m1 named
    err = refused(c, "op1", OP, SharesReleased.of(RID, [forged]), "release.signature")
    assert "m1" in str(err)
    moved = statements(c, ["m1"], request_id=OTHER)  # m1 released for OTHER, not for RID
    refused(c, "op1", OP, SharesReleased.of(RID, moved), "release.signature")
    other_key = statements(c, ["m1"], key_id="other-key")  # a statement from another key's log
    refused(c, "op1", OP, SharesReleased.of(RID, other_key), "release.signature")
    outsider = statements(c, ["m9"])  # a key that is not in the roster
    refused(c, "op1", OP, SharesReleased.of(RID, outsider), "release.member")
    refused(c, "op1", OP, SharesReleased.of(b"u" * 16, statements(c, ["m1"], request_id=b"u" * 16)),
            "release.request")
    c.sealer()
    refused(c, "sealer1", SEALER, SharesReleased.of(RID, statements(c, ["m1"])), "author.role")
    assert not c.state.released(RID, m1)


def test_statements_are_canonical_distinct_and_bounded() -> None:
    c = council_with_request()
    one, two = sorted(statements(c, ["m1", "m2"]), key=lambda s: s.member_key)
    with pytest.raises(LogDecodeError, match="increasing key order"):
        SharesReleased(RID, (two, one))
    with pytest.raises(LogDecodeError, match="increasing key order"):
        SharesReleased(RID, (one, one))
    with pytest.raises(LogDecodeError, match="1..255"):
        SharesReleased(RID, ())
    with pytest.raises(LogDecodeError, match="signature"):
        ReleaseStatement(one.member_key, one.signature[:63])
    body = SharesReleased(RID, (one, two))
    assert decode_body(Kind.SHARES_RELEASED, body.encode()) == body
    swapped = body.encode()[:18] + two.member_key + two.signature + one.member_key + one.signature
    with pytest.raises(LogDecodeError, match="increasing key order"):
        decode_body(Kind.SHARES_RELEASED, swapped)
    with pytest.raises(LogDecodeError):
        decode_body(Kind.SHARES_RELEASED, body.encode()[:-1])


def test_a_retired_key_still_records_releases() -> None:
    c = council_with_request()
    c.add(c.operator(), OP, b.KeyRetired(1000, "done"), now=SAMPLE_TIME_MS)
    c.add(c.operator(), OP, SharesReleased.of(RID, statements(c, ["m1", "m2", "m3"])))
    assert c.state.releases[RID] == frozenset(c.signer(n).public_key for n in ("m1", "m2", "m3"))


GOOD = council_with_request(n=9, t=5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([f"m{i}" for i in range(1, 10)]), min_size=1, max_size=9, unique=True), st.data())
def test_any_single_bad_statement_among_good_ones_is_found_and_named(names: list[str], data: st.DataObject) -> None:
    bad = data.draw(st.sampled_from(names))
    how = data.draw(st.sampled_from(["flip", "other-request", "other-member"]))
    got = []
    for name in names:
        s = sign_release(GOOD.signer(name), "app-key", RID)
        if name == bad:
            if how == "flip":
                s = ReleaseStatement(s.member_key, bytes([s.signature[0] ^ 1]) + s.signature[1:])
            elif how == "other-request":
                s = sign_release(GOOD.signer(name), "app-key", OTHER)
            else:
                s = ReleaseStatement(s.member_key, sign_release(GOOD.signer("op1"), "app-key", RID).signature)
        got.append(s)
    entry = GOOD.entry(GOOD.operator(), OP, SharesReleased.of(RID, got))
    assert Entry.from_bytes(entry.to_bytes()) == entry
    err = refused(GOOD, "op1", OP, SharesReleased.of(RID, got), "release.signature")
    assert str(err).split(": ")[2] == f"{bad}'s release statement does not verify"
