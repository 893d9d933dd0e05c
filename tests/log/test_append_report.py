"""What a coordinator reports about one append: approvals that do not verify are named and not
counted, and a record no member took is not called recorded (tests/node/test_lying_member.py
runs the same attack against member processes)."""

from __future__ import annotations

from council.driver.log_client import AppendReport
from council.log import Role
from council.log import bodies as b
from council.log.sim import Council


def _report() -> AppendReport:
    c = Council.create(n=3, t=2)
    entry = c.entry(c.operator(), Role.OPERATOR, b.RosterProposed(c.make_roster(["m1", "m2", "m3"], 2)))
    report = AppendReport(entry, 2)
    report.answers.update({"m1": "approved", "m2": "approved", "m3": "bad approval: its signature does not "
                                                                     "verify for this entry"})
    return report


def test_a_bad_approval_is_named_beside_an_accepted_record() -> None:
    report = _report()
    report.record = object()  # type: ignore[assignment]
    report.appended.update({"m1": "appended", "m2": "already", "m3": "caught up"})
    assert report.recorded and report.taken_by == ["m1", "m2", "m3"]
    assert report.summary().endswith("ACCEPTED (approved by m1, m2); not counted: m3: bad approval: its "
                                     "signature does not verify for this entry")


def test_a_record_that_no_member_took_is_not_recorded() -> None:
    report = _report()
    report.record = object()  # type: ignore[assignment]
    report.appended.update({n: "refused: approval.signature: no" for n in ("m1", "m2")})
    report.appended["m3"] = "unreachable: UNAVAILABLE"
    assert report.accepted and not report.recorded
    assert "NOT stored by m1: refused: approval.signature: no; m2: refused" in report.summary()


def test_a_record_the_caller_hands_over_itself_counts_as_recorded() -> None:
    report = _report()
    report.record = object()  # type: ignore[assignment]
    assert report.recorded and "NOT stored" not in report.summary()
