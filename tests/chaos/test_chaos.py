"""The fault campaign (tools/chaos): its plans are reproducible from the seed, its invariant
checks catch what they must (planted in real member folders), and a short seeded slice of the
campaign itself runs clean against member processes."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest
from node_helpers import Council, direct_ceremony, direct_genesis, direct_log_for, quiet_node

from council.crypto.messages import Kind
from council.log import RosterProposed
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.storage.identity import cert_der
from tools.chaos import invariants
from tools.chaos.plan import STAGES, make_plan
from tools.chaos.scenario import run_one

NAMES = ["m1", "m2", "m3"]


def _committed(c: Council) -> None:
    c.add_members(*NAMES)
    roster = c.roster("r1", 2, NAMES)
    nodes = [quiet_node(c.members[n], roster) for n in NAMES]
    req = SignedRequest.create(StartRequest(Kind.DKG, secrets.token_bytes(16), "k", roster), c.op().identity.signer)
    direct_ceremony(nodes, req, cert_der(c.op().identity.tls_cert_pem, "operator"))
    direct_genesis(nodes, "k", c.op())


def _check_all(c: Council) -> list[str]:
    folders = dict(c.members)
    out = [v for n, f in folders.items() for v in invariants.whole(n, f)]
    out += invariants.erased(folders, invariants.newest_committed(folders.values()))
    out += invariants.log(folders)
    ok, detail = invariants.decrypts(list(folders.values()), "k")
    return out + ([] if ok else [detail])


def test_plans_are_reproducible_from_the_seed() -> None:
    assert make_plan(7) == make_plan(7)
    assert make_plan(7) != make_plan(8)
    plans = [make_plan(s) for s in range(200)]
    assert {f.stage for p in plans for f in p.faults} == set(STAGES)
    assert {f.kind for p in plans for f in p.faults} == {"step", "call", "timed"}


def test_a_clean_council_passes_every_check(council: Council) -> None:
    _committed(council)
    assert _check_all(council) == []


def test_an_orphaned_share_copy_is_found(council: Council) -> None:
    _committed(council)
    share = council.members["m2"].path / "keys/k/0/share.sealed"
    shutil.copy(share, share.with_name(".share.sealed.1a2b3c4d.tmp"))
    found = _check_all(council)
    assert any("m2: keys/k/0/.share.sealed.1a2b3c4d.tmp holds a copy of its share" in v for v in found), found


def test_too_few_shares_and_erased_record_are_found(council: Council) -> None:
    _committed(council)
    for n in ("m1", "m2"):
        (council.members[n].path / "keys/k/0/share.sealed").unlink()
    ok, detail = invariants.decrypts(list(council.members.values()), "k")
    assert not ok and detail == "epoch 0: 1 of 2 shares"


def test_a_half_written_file_is_found(council: Council) -> None:
    _committed(council)
    record = council.members["m3"].path / "keys/k/0/epoch.json"
    record.write_bytes(record.read_bytes()[:100])
    found = _check_all(council)
    assert any(v.startswith("m3: keys/k/0/epoch.json: does not decode as a whole file") for v in found), found


def test_two_entries_at_one_sequence_number_are_found(council: Council) -> None:
    _committed(council)
    c = council
    r1 = c.roster_files["r1"]
    from council.storage.folders import load_roster

    roster = load_roster(r1)
    # m1 accepts one roster-proposed entry at seq 1, m2 and m3 another: a fork across members
    a = [quiet_node(c.members[n], roster) for n in ("m1", "m2")]
    direct_log_for(a, "k", RosterProposed(c.roster("r2", 2, ["m1", "m2"])), c.op())
    b = [quiet_node(c.members[n], roster) for n in ("m3",)]
    from council.driver.log_client import operator_entry
    from council.log import LogRecord

    entry = operator_entry(c.op(), b[0].logbook.state("k"), RosterProposed(c.roster("r3", 2, ["m2", "m3"])))
    approvals = [x.approval for n in ("m2", "m3")
                 if (x := quiet_node(c.members[n], roster).logbook.propose(entry)).approval is not None]
    rec = LogRecord.of(entry, approvals)
    (c.members["m3"].path / "log/council/k/records").joinpath(f"{1:020d}.rec").write_bytes(
        (0).to_bytes(8, "big") + rec.to_bytes())
    found = invariants.log(dict(c.members))
    assert any("two accepted entries at seq 1" in v for v in found), found


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_seeded_slice_of_the_campaign_runs_clean(tmp_path: Path) -> None:
    """The first three stages of `make chaos SEED=11 RUNS=1`: a member killed mid-DKG, a newcomer and
    a leaver killed mid-re-share, each restarted, and the recovery's driver killed before its 26th
    call, then retried; every invariant holds after each stage and the probe dump recovers."""
    plan = make_plan(11)
    assert [str(f) for f in plan.faults][:3] == ["dkg: m2 killed after its file-system step #33",
                                                "reshare: m5 killed after its file-system step #24",
                                                "reshare: m2 killed after its file-system step #12"]
    assert str(plan.faults[3]) == "recover: driver killed before its gRPC call #26"
    result = run_one(tmp_path / "run", plan, stages=("dkg", "reshare", "recover"))
    assert result.kills >= 2, result
    assert result.violations == [], result
