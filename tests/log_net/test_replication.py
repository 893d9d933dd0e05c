"""Must show (issue 2/7): a member killed after persisting an approval, and a member that was down.

- A member SIGKILLed by the LogBook.after_persist hook "approval" (its approval is on disk, the
  answer never left) is restarted: it refuses a different entry at that sequence number and
  answers the same one again, and that approval counts towards the entry's quorum.
- A member down during three entries catches up through a real CLI command (`log show`: the client
  pushes it the records it missed) and checks what it adopts: tampered records are refused.
"""

from __future__ import annotations

import signal

import pytest
from lognet_helpers import FAST, NAMES, RETRY, LogNet, kc

from council.driver.log_client import LogClient, operator_entry
from council.log import AdvisoryForbidden, Approval, Entry, LogRecord, RosterProposed
from council.protocol.gen import log_pb2 as pb

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _propose(net: LogNet, key: str, path: object) -> dict[str, object]:
    out = kc("roster", "propose", "--key-id", key, "--to", path, "--operator", net.base / "operator", "--json", *RETRY)
    assert out.code == 0, out.text
    return out.json()


def test_member_killed_after_persisting_an_approval_never_approves_another(net: LogNet) -> None:
    key = "crash"
    net.dkg(key)
    a, a_path = net.write_roster("crash-a", 3, NAMES)
    _, b_path = net.write_roster("crash-b", 2, ["m2", "m1", "m3"])  # the same members in another order
    entry_a = str(_propose(net, key, a_path)["id"])

    # m3 runs with the crash point: it SIGKILLs itself once an approval is on disk, before answering.
    net.council.kill("m3")
    net.council.spawn("m3", "r1", crash_after="approval")
    net.council.wait_serving(["m3"])
    assert kc("member", "approve", net.folder("m3"), entry_a).code == 0
    crashed = _propose(net, key, a_path)
    assert crashed["id"] == entry_a and str(crashed["answers"]["m3"]).startswith("unreachable"), crashed  # type: ignore[index]
    assert net.council.procs["m3"].wait(20) == -signal.SIGKILL
    assert net.approved("m3", key)[1].hex() == entry_a  # persisted before the answer that never came

    # Restarted normally: another entry at sequence number 1 is refused, the same one re-answered.
    net.council.spawn("m3", "r1")
    net.council.wait_serving(["m3"])
    other = _propose(net, key, b_path)
    assert other["id"] != entry_a
    assert other["answers"]["m3"] == (  # type: ignore[index]
        f"refused: approval.one-per-sequence: this member already approved entry {entry_a} at sequence number 1")
    again = _propose(net, key, a_path)
    assert again["id"] == entry_a and again["approved"] == ["m3"] and again["accepted"] is False, again
    entry = operator_entry(net.op, net.state("m1", key), RosterProposed(a))
    approval = Approval.from_bytes(net.propose_to("m3", entry).approval)
    assert approval.is_valid_for(entry)

    # Its approval counts: one more operator approves and the entry is accepted with m3's approval.
    assert kc("member", "approve", net.folder("m1"), entry_a).code == 0
    done = _propose(net, key, a_path)
    assert done["accepted"] is True and done["approved"] == ["m1", "m3"], done
    for n in NAMES:
        assert net.state(n, key).pending is not None and net.state(n, key).pending.roster.digest() == a.digest()


def _tampered(record: LogRecord) -> LogRecord:
    """The same record with one byte of the entry's body changed (the reason's last letter)."""
    raw = bytearray(record.entry.to_bytes())
    raw[-65] ^= 0x01  # the last body byte, just before the 64-byte author signature
    return LogRecord(Entry.from_bytes(bytes(raw)), record.approvals)


def test_member_down_during_three_entries_catches_up_and_checks_what_it_adopts(net: LogNet) -> None:
    key = "catchup"
    net.dkg(key)
    net.council.kill("m3")
    with LogClient(net.roster.members, net.op, FAST) as client:
        for k in range(1, 4):
            state, _ = client.read(key)
            report = client.append(state, operator_entry(net.op, state, AdvisoryForbidden(f"TEST-SA-{k}", "test")))
            assert report.accepted and report.approved_by == ["m1", "m2"], report.summary()
    net.council.spawn("m3", "r1")
    net.council.wait_serving(["m3"])
    assert net.state("m3", key).next_seq == 1
    good = net.records("m1", key)
    assert len(good) == 4

    # What m3 is handed is checked: a changed body, too few approvals, a record out of order.
    bad = {"entry.signature": _tampered(good[1]), "quorum": LogRecord(good[1].entry, good[1].approvals[:1])}
    for rule, record in bad.items():
        reply = net.accept_at("m3", record)
        assert reply.status == pb.AcceptReply.REFUSED and reply.rule == rule, (rule, reply)
    assert net.accept_at("m3", good[3]).status == pb.AcceptReply.BEHIND
    assert net.state("m3", key).next_seq == 1

    # A real command brings it up to date: `log show` reads every member and pushes what m3 missed.
    shown = kc("log", "show", "--roster", net.roster_path, "--key-id", key, "--operator", net.base / "operator",
               *RETRY)
    assert shown.code == 0, shown.text
    assert shown.out.count("advisory-forbidden") == 3 and "ops (operator)" in shown.out, shown.out
    assert [r.to_bytes() for r in net.records("m3", key)] == [r.to_bytes() for r in good]
    assert net.state("m3", key).forbidden_advisories == ("TEST-SA-1", "TEST-SA-2", "TEST-SA-3")
