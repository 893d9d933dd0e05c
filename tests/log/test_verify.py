"""`verify_log` of exported logs: each tampering fails at the right sequence number and rule."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from council.log import (
    LogRecord,
    LogRuleError,
    Role,
    export_log,
    parse_export,
    report_to_json,
    show_log,
    sign_entry,
    verify_log,
)
from council.log import bodies as b
from council.log.sim import Council, sample_log

SAMPLE = sample_log()
RECORDS = list(SAMPLE.records)
KEY = "app-key"


def verify_file(records: list[LogRecord]) -> tuple[int, str] | None:
    """Export, parse, verify: (seq, rule) of the failure, None when the log verifies."""
    report = verify_log(parse_export(export_log(KEY, records)).records, KEY)
    return None if report.failure is None else (report.failure.seq, report.failure.rule)


def test_the_sample_log_verifies() -> None:
    report = verify_log(RECORDS, KEY)
    assert report.ok and report.verified == len(RECORDS) and report.fork is None
    assert report.state == SAMPLE.state
    assert report.raise_for_failure() == SAMPLE.state


def test_an_edited_body_fails_at_its_entry() -> None:
    data = bytearray(export_log(KEY, RECORDS))
    target = RECORDS[4].entry
    digest = target.body.dump_digest  # type: ignore[union-attr]
    at = bytes(data).index(digest)
    data[at] ^= 0xFF
    report = verify_log(parse_export(bytes(data)).records, KEY)
    assert report.failure is not None
    assert (report.failure.seq, report.failure.rule) == (4, "entry.signature")
    assert report.verified == 4


def test_an_entry_rewritten_and_re_signed_by_its_author_fails_on_approvals() -> None:
    """The author (here the sealer) can re-sign an edit, but the members' approvals do not follow."""
    rec = RECORDS[4]
    e = rec.entry
    body = replace(e.body, dump_digest=bytes(32))  # type: ignore[type-var]
    resigned = sign_entry(SAMPLE.sealer(), Role.SEALER, KEY, e.seq, e.previous, body)
    assert verify_file([*RECORDS[:4], LogRecord(resigned, rec.approvals), *RECORDS[5:]]) == (4, "approval.signature")


def test_a_removed_entry_fails_where_it_is_missing() -> None:
    for k in (1, 7, 12):
        assert verify_file(RECORDS[:k] + RECORDS[k + 1:]) == (k, "chain.sequence")


def test_swapped_entries_fail_at_the_first_of_them() -> None:
    for k in (2, 9, 15):
        swapped = list(RECORDS)
        swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
        assert verify_file(swapped) == (k, "chain.sequence")


def test_a_forged_approval_fails_at_its_entry() -> None:
    rec = RECORDS[6]
    forged = replace(rec.approvals[1], signature=bytes(reversed(rec.approvals[1].signature)))
    tampered = LogRecord(rec.entry, (rec.approvals[0], forged, *rec.approvals[2:]))
    assert verify_file([*RECORDS[:6], tampered, *RECORDS[7:]]) == (6, "approval.signature")
    # an approval by someone outside the epoch's roster is named too
    outsider = Council.create(seed=b"other council").approvals(rec.entry, ["m1"])[0]
    tampered = LogRecord.of(rec.entry, [*rec.approvals, outsider])
    assert verify_file([*RECORDS[:6], tampered, *RECORDS[7:]]) == (6, "approval.member")
    # dropping approvals below t
    assert verify_file([*RECORDS[:6], LogRecord(rec.entry, rec.approvals[:2]), *RECORDS[7:]]) == (6, "quorum")


def test_approvals_of_another_entry_or_key_do_not_count() -> None:
    rec, other = RECORDS[6], RECORDS[7]
    moved = LogRecord(rec.entry, other.approvals)
    assert verify_file([*RECORDS[:6], moved, *RECORDS[7:]]) == (6, "approval.signature")
    twin = sample_log(key_id="other-key")
    assert twin.records[6].entry.body == rec.entry.body
    foreign = LogRecord(rec.entry, twin.records[6].approvals)
    assert verify_file([*RECORDS[:6], foreign, *RECORDS[7:]]) == (6, "approval.signature")


def test_a_fork_names_the_members_who_approved_both() -> None:
    c = Council.create(n=5, t=3)
    c.add(c.signer("m1"), Role.MEMBER, b.Freeze(None, "before the fork"))
    a = c.entry(c.operator(), Role.OPERATOR, b.RosterProposed(c.make_roster(["m1", "m2", "m3"], 2)))
    bb = c.entry(c.operator(), Role.OPERATOR, b.RosterProposed(c.make_roster(["m3", "m4", "m5"], 2)))
    rec_a = LogRecord.of(a, c.approvals(a, ["m1", "m2", "m3"]))
    rec_b = LogRecord.of(bb, c.approvals(bb, ["m3", "m4", "m5"]))
    records = [*c.records, rec_a, rec_b]
    report = verify_log(parse_export(export_log(KEY, records)).records, KEY)
    assert report.failure is not None and (report.failure.seq, report.failure.rule) == (2, "fork")
    assert report.fork is not None and [d.member_name for d in report.fork.double_approvers] == ["m3"]
    double = report.fork.double_approvers[0]
    assert {double.first_digest, double.second_digest} == {a.digest, bb.digest}
    assert "approved by both: m3" in report.failure.detail
    rendered = report_to_json(report)
    assert rendered["failure"] == {"seq": 2, "rule": "fork", "detail": report.failure.detail}
    assert rendered["fork"]["double_approvers"][0]["member"] == "m3"
    with pytest.raises(LogRuleError, match="log entry 2: fork"):
        report.raise_for_failure()
    # the fork is found wherever its second entry sits in the file
    continued = c.records + [rec_a]
    c.accept(a, ["m1", "m2", "m3"])
    assert verify_file([*continued, rec_b]) == (2, "fork")


def test_an_empty_log_and_a_duplicate_record() -> None:
    report = verify_log([], KEY)
    assert report.failure is not None and report.failure.rule == "chain.genesis"
    assert verify_file([*RECORDS[:3], RECORDS[2], *RECORDS[3:]]) == (3, "chain.sequence")


def test_a_truncated_tail_verifies_as_a_shorter_log() -> None:
    """Truncation is visible only against a head: the report says how far the log goes."""
    report = verify_log(RECORDS[:10], KEY)
    assert report.ok and report_to_json(report)["head"] == {"seq": 9, "digest": RECORDS[9].entry.digest.hex()}


def test_show_log_json_has_stable_fields() -> None:
    shown = show_log(KEY, RECORDS, start=18)
    assert shown["format"] == "keycouncil-log/1" and [e["seq"] for e in shown["entries"]] == [18, 19, 20, 21]
    first = shown["entries"][0]
    assert set(first) == {"seq", "id", "previous", "key_id", "kind", "author", "body", "signature", "class",
                          "accepted", "approvals"}
    assert (first["kind"], first["class"], first["accepted"]) == ("key-rotated", "widening", True)
    assert first["approvals"][0]["member"] in {"m2", "m3", "m4", "m5"}
    assert shown["state"]["successor_key_id"] == "app-key-2"
    last = shown["entries"][-1]  # a shares-released entry lists each member's signed statement
    assert last["kind"] == "shares-released" and len(last["body"]["statements"]) == 2
    json.dumps(shown)
    broken = show_log(KEY, RECORDS[:3] + RECORDS[4:])
    assert [e["accepted"] for e in broken["entries"]][2:4] == [True, False]
