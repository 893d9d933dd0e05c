"""Must show (issue 2/7): attempts to move a key without `t` approvals, against member PROCESSES.

Members have no governance.toml, so every widening entry waits for their own operators. Each
attempt is made twice: through the CLI (whose log step stops it) and straight at the members (a
signed StartRequest or a hand-made record), where every member refuses on its own, naming the rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lognet_helpers import NAMES, RETRY, LogNet, kc, kc_proc

from council.crypto.signing import Signer
from council.driver.log_client import operator_entry
from council.localnet.council import free_port
from council.localnet.processes import member_command
from council.log import Approval, LogRecord, RosterProposed, approve
from council.protocol.gen import log_pb2 as pb
from council.storage.folders import load_roster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

NOT_ACCEPTED = "is not accepted in the key's council log; a re-share deals only to a roster accepted there"


def _approve_on(net: LogNet, names: list[str], entry_id: str) -> None:
    for n in names:
        done = kc("member", "approve", net.folder(n), entry_id)
        assert done.code == 0 and "approved by this member's operator" in done.out, done.text


def test_takeover_by_one_operator_is_refused_by_every_member(net: LogNet) -> None:
    """The issue's takeover, typed as the hostile operator would: a 1-of-1 roster of a member it runs."""
    key = "takeover"
    bundle = net.dkg(key)
    evil_dir, evil_roster = net.base / "mevil", net.base / "roster-evil.json"
    init = kc_proc("member", "init", evil_dir, "--name", "mevil", "--listen", f"127.0.0.1:{free_port()}",
                   "--insecure-no-passphrase")
    assert init.code == 0, init.text
    new = kc_proc("roster", "new", "-t", "1", "--member", evil_dir / "member-card.json",
                  "--operator", net.base / "operator" / "operator-card.json", "-o", evil_roster)
    assert new.code == 0, new.text  # 1 of 1 is a majority: the roster itself is well-formed
    net.council.processes.spawn("mevil", evil_dir, member_command(evil_dir, evil_roster))
    net.council.wait_serving(["mevil"])

    # (1) the CLI: the roster is proposed in the key's log and waits for t approvals that never come.
    reshare = kc_proc("ceremony", "reshare", "--key-id", key, "--from", net.roster_path, "--to", evil_roster,
                      "--operator", net.base / "operator", *RETRY)
    assert reshare.code == 1, reshare.text
    assert "NOT STARTED: the new roster is not accepted in the key's council log" in reshare.out
    assert "0 of 2 approvals needed" in reshare.out and "approved by: nobody yet" in reshare.out
    for n in NAMES:
        assert f"missing: {n}: pending: waiting for this member's operator" in reshare.out, reshare.out
    assert "COMMITTED" not in reshare.out

    # (2) bypassing the client's log step: the operator-signed StartRequest sent straight to the members.
    report = net.drive_reshare(key, load_roster(evil_roster))
    assert not report.committed and "dealings received" in report.failure, report.lines()
    for n in NAMES:
        assert NOT_ACCEPTED in report.missing[n], (n, report.missing)
    assert "council log" in report.missing["mevil"], report.missing

    # Nothing was dealt, nothing erased; the evil member holds nothing of the key.
    net.assert_shares_intact(key, bundle)
    assert not (evil_dir / "keys" / key).exists()
    for n in NAMES:
        assert net.state(n, key).next_seq == 1 and net.approved(n, key) == {0: net.records(n, key)[0].entry.digest}


def test_roster_with_threshold_at_most_half_is_refused(net: LogNet) -> None:
    key = "weak"
    bundle = net.dkg(key)
    cards = [a for n in ("m1", "m2") for a in ("--member", str(net.folder(n) / "member-card.json"))]
    for label, extra in (("t=n/2", []), ("t<n/2", ["--member", str(net.folder("m3") / "member-card.json")])):
        out = net.base / f"roster-{label}.json"
        made = kc("roster", "new", "-t", "1", *cards, *extra, "-o", out)
        assert made.code == 1 and "threshold t must exceed n/2 so that two conflicting entries cannot both be " \
                                  "approved" in made.err, made.text
        assert not out.exists()

    # A roster file written by hand: every member refuses it in the log and in a ceremony request.
    weak, weak_path = net.write_roster("weak", 1, ["m1", "m2"])
    proposed = kc("roster", "propose", "--key-id", key, "--to", weak_path, "--operator", net.base / "operator",
                  "--json", *RETRY)
    assert proposed.code == 1, proposed.text
    answers = proposed.json()["answers"]
    for n in NAMES:
        assert "refused: log entry 1: roster.majority: roster-proposed.roster: threshold t must exceed n/2" in answers[n], answers  # type: ignore[index]
    report = net.drive_reshare(key, weak)
    assert not report.committed
    for n in NAMES:
        assert "threshold t must exceed n/2" in report.missing[n], report.missing
    net.assert_shares_intact(key, bundle)


def test_roster_accepted_for_another_key_is_refused_for_this_key(net: LogNet) -> None:
    net.dkg("other")
    bundle = net.dkg("mine")
    bigger, bigger_path = net.write_roster("three-of-three", 3, NAMES)
    first = kc("roster", "propose", "--key-id", "other", "--to", bigger_path, "--operator", net.base / "operator",
               "--json", *RETRY)
    assert first.code == 0 and first.json()["status"] == "waiting", first.text
    _approve_on(net, ["m1", "m2"], str(first.json()["id"]))
    accepted = kc("roster", "propose", "--key-id", "other", "--to", bigger_path, "--operator", net.base / "operator",
                  "--json", *RETRY)
    assert accepted.json()["accepted"] is True and accepted.json()["approved"] == ["m1", "m2"], accepted.text
    assert accepted.json()["id"] == first.json()["id"]
    other_record = net.records("m1", "other")[1]

    # For "mine" the roster is not accepted: the CLI stops, and so does every member on its own.
    reshare = kc("ceremony", "reshare", "--key-id", "mine", "--from", net.roster_path, "--to", bigger_path,
                 "--operator", net.base / "operator", *RETRY)
    assert reshare.code == 1 and "NOT STARTED" in reshare.out and "0 of 2 approvals" in reshare.out, reshare.text
    report = net.drive_reshare("mine", bigger)
    assert not report.committed
    for n in NAMES:
        assert NOT_ACCEPTED in report.missing[n], report.missing

    # Approvals do not move between keys: "other"'s approvals on the same roster for "mine" are refused.
    entry = operator_entry(net.op, net.state("m1", "mine"), RosterProposed(bigger))
    borrowed = LogRecord.of(entry, other_record.approvals)
    for n in NAMES:
        reply = net.accept_at(n, borrowed)
        assert reply.status == pb.AcceptReply.REFUSED and reply.rule == "approval.signature", (n, reply)
        assert net.state(n, "mine").next_seq == 1
    net.assert_shares_intact("mine", bundle)


def test_entry_with_fewer_than_t_approvals_is_not_accepted(net: LogNet, tmp_path: Path) -> None:
    key = "fewer"
    net.dkg(key)
    bigger, bigger_path = net.write_roster("three-of-three", 3, NAMES)
    args = ["roster", "propose", "--key-id", key, "--to", bigger_path, "--operator", net.base / "operator", *RETRY]
    first = kc(*args, "--json")
    entry_id = str(first.json()["id"])
    _approve_on(net, ["m1"], entry_id)
    again = kc(*args)
    assert again.code == 0, again.text
    assert f"roster-proposed entry 1 of key {key}: NOT accepted, 1 of 2 approvals needed" in again.out
    assert "approved by: m1" in again.out and "missing: m2: pending" in again.out and "missing: m3: pending" in again.out
    assert f"keycouncil member approve DIR {entry_id}" in again.out

    # t − 1 real approvals plus one forged: every member refuses the record, naming the rule.
    entry = operator_entry(net.op, net.state("m1", key), RosterProposed(bigger))
    assert entry.id == entry_id
    real = Approval.from_bytes(net.propose_to("m1", entry).approval)
    assert real.is_valid_for(entry)
    m2_key = net.council.members["m2"].identity.signer.public_key
    forged = {"approval.signature": Approval(m2_key, bytes(64)),
              "approval.member": approve(Signer.generate(), entry),
              "quorum": None}
    for rule, extra in forged.items():
        record = LogRecord.of(entry, [real] + ([extra] if extra else []))
        for n in NAMES:
            reply = net.accept_at(n, record)
            assert reply.status == pb.AcceptReply.REFUSED and reply.rule == rule, (rule, n, reply)
    for n in NAMES:
        assert net.state(n, key).next_seq == 1, n
    shown = kc("log", "show", "--roster", net.roster_path, "--key-id", key, "--operator", net.base / "operator",
               "--json", *RETRY)
    assert [e["kind"] for e in json.loads(shown.out)["entries"]] == ["genesis"], shown.text
