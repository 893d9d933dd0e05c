"""A member halted by fork evidence, and its operator's way out (docs/operators.md, "Forks"):
`keycouncil member resume-log DIR --key-id KEY --keep-seq N --entry ID`, against member processes.

The operator can only keep one of the two entries of the fork, and only one that follows the
member's log with `t` valid approvals: a made-up id, another sequence number or a HALTED file
edited to hold a record with too few approvals are refused, and the member stays halted. The
decision is logged (`log-fork-decided`, then `log-fork-resolved` once the member applied it) and
the member approves again; handing it the dropped record again does not halt it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lognet_helpers import NAMES, RETRY, LogNet, kc

from council.driver.log_client import operator_entry
from council.log import LogRecord, LogState, RosterProposed, apply, approve
from council.protocol.gen import log_pb2 as pb

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _events(net: LogNet, name: str, event: str) -> list[dict[str, object]]:
    lines = (net.folder(name) / "log" / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e.get("event") == event]


def _state_before(key: str, records: list[LogRecord], seq: int) -> LogState:
    state = LogState(key)
    for r in records[:seq]:
        state = apply(state, r.entry, r.approvals, None)
    return state


def test_a_halted_member_resumes_only_on_an_entry_of_the_fork_with_t_approvals(net: LogNet, tmp_path: Path) -> None:
    key = "forked"
    net.dkg(key)
    _, r2_path = net.write_roster("forked-2", 3, NAMES)
    ops = ["--operator", net.base / "operator", *RETRY]
    first = kc("roster", "propose", "--key-id", key, "--to", r2_path, "--json", *ops).json()
    for n in ("m2", "m3"):
        assert kc("member", "approve", net.folder(n), str(first["id"])).code == 0
    assert kc("roster", "propose", "--key-id", key, "--to", r2_path, "--json", *ops).json()["accepted"] is True
    records = net.records("m1", key)
    assert len(records) == 2
    stored = records[1]

    # m2 and m3 double-sign a rival entry at sequence number 1; m1 is handed it: a fork.
    other, _ = net.write_roster("forked-rival", 2, ["m3", "m2", "m1"])
    rival = operator_entry(net.op, _state_before(key, records, 1), RosterProposed(other))
    signers = {n: net.council.members[n].identity.signer for n in ("m2", "m3")}
    forked = LogRecord.of(rival, [approve(s, rival) for s in signers.values()])
    reply = net.accept_at("m1", forked)
    assert reply.status == pb.AcceptReply.REFUSED and reply.rule == "log.fork", reply
    halted = net.folder("m1") / "log" / "council" / "HALTED"
    assert halted.exists() and len(_events(net, "m1", "log-fork-seen")) == 1

    probe = net.propose_to("m1", operator_entry(net.op, net.state("m1", key), RosterProposed(other)))
    assert probe.status == pb.ProposeReply.REFUSED and probe.rule == "fork.halted", probe

    m1 = net.folder("m1")
    resume = ["member", "resume-log", m1, "--key-id", key, "--keep-seq", "1", "--by", "alice"]
    # (1) only an entry of the fork: not a made-up id, not another sequence number or key.
    made_up = kc(*resume, "--entry", "ab" * 16)
    assert made_up.code == 1 and "is not one of the two entries of the fork" in made_up.err, made_up.text
    other_seq = kc("member", "resume-log", m1, "--key-id", key, "--keep-seq", "0", "--entry", stored.entry.id)
    assert other_seq.code == 1 and "not at key forked entry 0" in other_seq.err, other_seq.text
    other_key = kc("member", "resume-log", m1, "--key-id", "other", "--keep-seq", "1", "--entry", stored.entry.id)
    assert other_key.code == 1 and "not at key other entry 1" in other_key.err, other_key.text

    # (2) an operator who edits HALTED to hold a record of its own, approved by one member only,
    # cannot keep it: the member re-verifies the t approvals against its own log.
    evidence = halted.read_bytes()
    weak_entry = operator_entry(net.op, _state_before(key, records, 1), RosterProposed(other))
    weak = LogRecord.of(weak_entry, [approve(signers["m2"], weak_entry)])
    halted.write_bytes(weak.to_bytes() + stored.to_bytes())
    forged = kc(*resume, "--entry", weak.entry.id)
    assert forged.code == 1 and "t valid approvals" in forged.err, forged.text
    halted.write_bytes(evidence)
    assert _events(net, "m1", "log-fork-decided") == []
    still = net.propose_to("m1", operator_entry(net.op, net.state("m1", key), RosterProposed(other)))
    assert still.status == pb.ProposeReply.REFUSED and still.rule == "fork.halted", still

    # (3) keeping the entry the council accepted: recorded, logged, applied by the member, resumed.
    done = kc(*resume, "--entry", stored.entry.id)
    assert done.code == 0 and f"keeping {stored.entry.id}" in done.out, done.text
    decided = _events(net, "m1", "log-fork-decided")
    assert [(e["keep"], e["drop"], e["by"]) for e in decided] == [(stored.entry.id, forked.entry.id, "alice")]
    again = net.propose_to("m1", operator_entry(net.op, net.state("m1", key), RosterProposed(other)))
    assert again.status == pb.ProposeReply.PENDING, again  # widening: waits for the operator, as before
    assert not halted.exists()
    resolved = _events(net, "m1", "log-fork-resolved")
    assert len(resolved) == 1 and resolved[0]["keep"] == stored.entry.id and resolved[0]["switched_branch"] is False
    archived = list((m1 / "log" / "council" / key / "forks").glob("*/decision.json"))
    assert len(archived) == 1 and json.loads(archived[0].read_text())["by"] == "alice"
    assert [r.entry.id for r in net.records("m1", key)] == [r.entry.id for r in records]

    # (4) the dropped record handed over again is refused, and does not halt the member again.
    replay = net.accept_at("m1", forked)
    assert replay.status == pb.AcceptReply.REFUSED and replay.rule == "log.fork-resolved", replay
    assert not halted.exists() and len(_events(net, "m1", "log-fork-seen")) == 1
    not_halted = kc("member", "resume-log", m1, "--key-id", key, "--keep-seq", "1", "--entry", stored.entry.id)
    assert not_halted.code == 1 and "not halted" in not_halted.err
