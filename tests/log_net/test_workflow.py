"""The approval workflow end to end, with the commands of docs/operators.md ("Approvals and the
council log"), against member processes whose operators approve by hand; then the log's audit:
`log show`, `log export` (never overwrites), `log verify` (tampering and a fork named)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lognet_helpers import NAMES, RETRY, LogNet, kc

from council.driver.log_client import operator_entry
from council.log import (
    LogRecord,
    LogState,
    RosterProposed,
    apply,
    approve,
    export_log,
    parse_export,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_roster_change_waits_for_each_operator_then_the_reshare_runs(net: LogNet, tmp_path: Path) -> None:
    key = "flow"
    bundle = net.dkg(key)
    r2, r2_path = net.write_roster("flow-2", 3, NAMES)
    ops = ["--operator", net.base / "operator", *RETRY]
    reshare = ["ceremony", "reshare", "--key-id", key, "--from", net.roster_path, "--to", r2_path, *ops]

    proposed = kc("roster", "propose", "--key-id", key, "--to", r2_path, *ops)
    assert proposed.code == 0, proposed.text
    assert f"roster-proposed entry 1 of key {key}: NOT accepted, 0 of 2 approvals needed" in proposed.out
    entry_id = proposed.out.split("id: ")[1].split()[0]
    for n in NAMES:  # PENDING on every member until its own operator approves
        assert f"missing: {n}: pending: waiting for this member's operator" in proposed.out
        listed = kc("member", "pending", net.folder(n))
        assert listed.code == 0 and entry_id in listed.out and "roster-proposed" in listed.out, listed.text
        as_json = [json.loads(line) for line in kc("member", "pending", net.folder(n), "--json").out.splitlines()]
        assert [e["id"] for e in as_json] == [entry_id]

    refused = kc(*reshare)
    assert refused.code == 1 and "NOT STARTED" in refused.out and "0 of 2 approvals needed" in refused.out

    assert kc("member", "approve", net.folder("m1"), entry_id).code == 0
    one = kc(*reshare)
    assert one.code == 1 and "1 of 2 approvals needed" in one.out and "approved by: m1" in one.out, one.text
    assert "missing: m2: pending" in one.out and "missing: m3: pending" in one.out
    assert f"keycouncil member approve DIR {entry_id}" in one.out

    assert kc("member", "approve", net.folder("m2"), entry_id).code == 0
    done = kc(*reshare)
    assert done.code == 0 and "COMMITTED" in done.out, done.text
    assert "log: epoch-committed entry 2" in done.out and "ACCEPTED" in done.out
    assert kc("member", "pending", net.folder("m3")).out.startswith("no log entries wait")
    assert net.council.decapsulates(key, 1, r2, NAMES, bundle.public_key)

    proposed_again = kc("roster", "propose", "--key-id", key, "--to", r2_path, "--json", *ops)
    assert proposed_again.json()["status"] == "current", proposed_again.text

    shown = kc("log", "show", "--roster", net.roster_path, "--key-id", key, *ops)
    assert shown.code == 0, shown.text
    lines = shown.out.splitlines()
    assert lines[0].startswith(f"log of key {key}: 3 entries") and "epoch 1, threshold 3 of 3" in lines[0]
    assert lines[1].split() == ["seq", "kind", "author", "approvals", "accepted", "class"]
    assert lines[2].split()[:4] == ["0", "genesis", "ops", "(operator)"] and lines[2].split()[-2:] == ["yes", "record"]
    assert lines[3].split()[:2] == ["1", "roster-proposed"] and lines[3].split()[-2:] == ["yes", "widening"]
    assert "m1" in lines[3] and "m2" in lines[3] and "m3" not in lines[3]
    assert lines[4].split()[:2] == ["2", "epoch-committed"] and "(member)" in lines[4]
    tail = kc("log", "show", "--roster", net.roster_path, "--key-id", key, "--from", "1", "--json", *ops).json()
    entries = tail["entries"]
    assert [e["seq"] for e in entries] == [1, 2] and entries[0]["author"]["name"] == "ops"  # type: ignore[index]
    assert sorted(a["member"] for a in entries[0]["approvals"]) == ["m1", "m2"]  # type: ignore[index]
    assert entries[0]["id"] == entry_id and tail["state"]["epoch"] == 1  # type: ignore[index]


def test_export_and_verify_name_the_sequence_number_and_rule(net: LogNet, tmp_path: Path) -> None:
    key = "audit"
    net.dkg(key)
    r2, r2_path = net.write_roster("audit-2", 3, NAMES)
    ops = ["--operator", net.base / "operator", *RETRY]
    first = kc("roster", "propose", "--key-id", key, "--to", r2_path, "--json", *ops).json()
    for n in ("m2", "m3"):
        assert kc("member", "approve", net.folder(n), str(first["id"])).code == 0
    assert kc("roster", "propose", "--key-id", key, "--to", r2_path, "--json", *ops).json()["accepted"] is True

    path = tmp_path / "audit.kclog"
    exported = kc("log", "export", "--roster", net.roster_path, "--key-id", key, "-o", path, *ops)
    assert exported.code == 0 and "2 entries of key audit" in exported.out, exported.text
    before = path.read_bytes()
    again = kc("log", "export", "--roster", net.roster_path, "--key-id", key, "-o", path, *ops)
    assert again.code != 0 and "never overwrites" in again.text and path.read_bytes() == before
    ok = kc("log", "verify", path)
    assert ok.code == 0 and "OK, 2 entries verified" in ok.out, ok.text
    assert kc("log", "verify", path, "--json").json()["ok"] is True

    records = list(parse_export(before).records)
    cut = len(before) - len(records[1].to_bytes())  # entry 1's body: a member renamed in its roster JSON
    edited = before[:cut] + before[cut:].replace(b'"name":"m1"', b'"name":"m9"', 1)
    assert edited != before
    cases = {"edited": (edited, "log entry 1: entry.signature"),
             "removed": (export_log(key, records[1:]), "log entry 0: chain.sequence: expected entry 0, found entry 1")}
    # Two members that approve a rival entry at sequence number 1: a fork, and who double-signed.
    other, _ = net.write_roster("audit-rival", 2, ["m3", "m2", "m1"])
    rival = operator_entry(net.op, _state_before(key, records, 1), RosterProposed(other))
    signers = {n: net.council.members[n].identity.signer for n in ("m2", "m3")}
    forked = LogRecord.of(rival, [approve(s, rival) for s in signers.values()])
    cases["fork"] = (export_log(key, [records[0], records[1], forked]), "log entry 1: fork")
    for name, (data, message) in cases.items():
        f = tmp_path / f"{name}.kclog"
        f.write_bytes(data)
        out = kc("log", "verify", f)
        assert out.code == 1 and message in out.out, (name, out.text)
    fork = kc("log", "verify", tmp_path / "fork.kclog", "--json").json()["fork"]
    assert sorted(d["member"] for d in fork["double_approvers"]) == ["m2", "m3"]  # type: ignore[index]
    assert "double-signed by m2" in kc("log", "verify", tmp_path / "fork.kclog").out
    garbage = tmp_path / "garbage.kclog"
    garbage.write_bytes(b"not a log")
    bad = kc("log", "verify", garbage)
    assert bad.code == 1 and "not a keycouncil log export" in bad.err, bad.text


def _state_before(key: str, records: list[LogRecord], seq: int) -> LogState:
    state = LogState(key)
    for r in records[:seq]:
        state = apply(state, r.entry, r.approvals, None)
    return state


def test_governance_file_approves_within_its_limits_and_a_bad_one_is_named(net: LogNet) -> None:
    key = "governed"
    net.dkg(key)
    ops = ["--operator", net.base / "operator", *RETRY]
    same_members, same_path = net.write_roster("governed-2", 3, NAMES)
    _, fewer_path = net.write_roster("governed-3", 2, ["m1", "m2"])
    files = [net.folder(n) / "governance.toml" for n in NAMES]
    try:
        files[0].write_text('[auto_approve]\nkinds = ["roster-proposd"]\n')
        for f in files[1:]:
            f.write_text('[auto_approve]\nkinds = ["roster-proposed"]\n[auto_approve.roster]\n'
                         "max_members_changed = 0\n")
        # One member removed is beyond max_members_changed = 0: every member waits for its operator.
        beyond = kc("roster", "propose", "--key-id", key, "--to", fewer_path, "--json", *ops).json()
        assert beyond["status"] == "waiting" and beyond["approved"] == [], beyond
        assert "governance.toml: auto_approve.kinds: roster-proposd is not a widening kind" in str(
            beyond["answers"]["m1"]), beyond  # type: ignore[index]
        # The same members with a higher threshold is within the limits: m2 and m3 approve by themselves.
        within = kc("roster", "propose", "--key-id", key, "--to", same_path, "--json", *ops)
    finally:
        for f in files:
            f.unlink(missing_ok=True)
    done = within.json()
    assert done["accepted"] is True and done["approved"] == ["m2", "m3"], done
    assert str(done["answers"]["m1"]).startswith("error: "), done  # type: ignore[index]
    events = (net.folder("m2") / "log" / "events.jsonl").read_text()
    assert '"log-auto-approved"' in events and "at most 0 members changed (0 here)" in events
    assert net.state("m1", key).pending.roster.digest() == same_members.digest()  # type: ignore[union-attr]


def test_log_genesis_starts_the_log_of_a_key_made_before_it(net: LogNet) -> None:
    """A DKG driven without the client's log step stands for a key committed before the log existed."""
    from council.crypto.messages import Kind
    from council.driver.ceremony import drive_signed
    from council.protocol.ceremony_request import SignedRequest, StartRequest

    key, ops = "legacy", ["--operator", net.base / "operator", *RETRY]
    request = StartRequest(Kind.DKG, b"\x01" * 16, key, net.roster)
    dkg = drive_signed(SignedRequest.create(request, net.op.identity.signer), net.op)
    assert dkg.committed and dkg.log == [], dkg.lines()
    r2, r2_path = net.write_roster("legacy-2", 3, NAMES)
    refused = net.drive_reshare(key, r2)
    assert not refused.committed and "no genesis entry in its council log" in refused.missing["m1"]

    started = kc("log", "genesis", "--roster", net.roster_path, "--key-id", key, *ops)
    assert started.code == 0, started.text
    assert f"genesis entry 0 of key {key}: ACCEPTED with 3 approvals (2 needed)" in started.out
    assert kc("log", "genesis", "--roster", net.roster_path, "--key-id", key, *ops).code == 1
    shown = kc("log", "show", "--roster", net.roster_path, "--key-id", key, *ops)
    assert "0    genesis" in shown.out and "epoch 0, threshold 2 of 3" in shown.out, shown.out
