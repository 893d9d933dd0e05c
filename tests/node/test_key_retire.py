"""Retiring a key, with member processes: `key retire` waits for t operators' approvals; after the
waiting period (counted on each member from when it saw the entry accepted) every member has
erased every share of the key, with temporary copies and transcripts; a member that was down
erases at start-up; `recover` then names the key as retired and the log entry; ceremonies refused."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from net_helpers import keycouncil, seal_versions
from node_helpers import Council

from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.errors import KeycouncilError
from council.node.retirement import leftovers
from dumps.sealer import SealingIdentity

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
NAMES = ["m1", "m2", "m3"]
KEY, OTHER = "oldkey", "otherkey"
FAST = Timing(call_timeout=20, retry_window=1)


def _events(c: Council, name: str, event: str) -> list[dict[str, object]]:
    path = c.base / name / "log" / "events.jsonl"
    return [e for line in path.read_text().splitlines() if (e := json.loads(line))["event"] == event]


def _share_files(c: Council, name: str) -> list[Path]:
    """Share files and temporary copies anywhere under the member's folder of KEY."""
    folder = c.base / name / "keys" / KEY
    return sorted([*folder.rglob("share.sealed"), *folder.rglob(".*.tmp")])


def _erased(c: Council, name: str) -> bool:
    """Nothing of KEY left to erase, and the member said it finished (`key-retired-erased`)."""
    return not leftovers(c.store(name), c.base / name / "ceremonies", KEY) and \
        bool(_events(c, name, "key-retired-erased"))


def _wait(cond: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def _retire(c: Council, period: str) -> tuple[int, dict[str, object]]:
    p = keycouncil("key", "retire", "--key-id", KEY, "--roster", str(c.roster_files["r1"]), "--operator",
                   str(c.op().path), "--waiting-period", period, "--reason", "test", "--json", "--retry-window", "1")
    assert p.err.strip() == "" or p.code in (0, 3), p.err
    return p.code, json.loads(p.out)


@pytest.fixture
def council_with_key(council: Council, tmp_path: Path) -> Council:
    c = council
    c.add_members(*NAMES, governance=None)  # every widening entry needs the member's operator
    roster = c.roster("r1", 2, NAMES)
    for n in NAMES:
        c.spawn(n, "r1")
    c.wait_serving(NAMES)
    dkg = run_dkg(roster, KEY, c.op(), FAST)
    assert dkg.committed and dkg.bundle is not None, dkg.lines()
    assert run_dkg(roster, OTHER, c.op(), FAST).committed  # a key that stays
    seal_versions(c.base / "store", dkg.bundle, [os.urandom(3000)], SealingIdentity.simulated())
    return c


def test_retired_key_is_erased_everywhere_and_recovery_names_it(council_with_key: Council) -> None:
    c = council_with_key
    epoch_dir = c.base / "m1" / "keys" / KEY / "0"
    (epoch_dir / ".share.sealed.0badc0de.tmp").write_bytes(b"a crash left this copy")  # a temp copy
    assert all(_share_files(c, n) for n in NAMES)

    code, first = _retire(c, "2s")
    assert code == 3 and first["status"] == "waiting" and first["approved_by"] == [], first
    entry_id = str(first["id"])
    pending = keycouncil("member", "pending", str(c.base / "m1"))
    assert entry_id in pending.out and "key-retired" in pending.out, pending
    for n in ("m1", "m2"):  # t = 2 operators approve; m3's operator does not
        p = keycouncil("member", "approve", str(c.base / n), entry_id)
        assert p.code == 0 and "approved by this member's operator" in p.out, p
    code, second = _retire(c, "2s")
    assert code == 0 and second["status"] == "accepted" and second["id"] == entry_id, second
    assert second["approved_by"] == ["m1", "m2"] and set(second["missing"]) == {"m3"}, second
    assert second["appended"] == {"m1": "appended", "m2": "appended", "m3": "appended"}, second

    assert _wait(lambda: all(_erased(c, n) for n in NAMES), 30), [leftovers(c.store(n), c.base / n / "ceremonies", KEY)
                                                                  for n in NAMES]
    for n in NAMES:
        assert _share_files(c, n) == [], n
        assert not list((c.base / n / "keys" / KEY).rglob("transcript.bin")), n
        rec = c.store(n).record(KEY, 0)
        assert not rec.holds_share and (c.base / n / "keys" / KEY / "0" / "epoch.json").exists()
        # the waiting period counted on this member from when it appended the entry
        appended = [e for e in _events(c, n, "log-appended") if e["kind"] == "key-retired"][0]
        erased = _events(c, n, "key-retired-erased")[0]
        assert erased["log_entry"] == second["seq"] and erased["shares_erased"] == [0], erased
        gap = _ts(erased) - _ts(appended)
        assert gap >= 1.9, (n, gap)  # (the entry's time is taken just before the event's)

    for n in NAMES:  # the other key is untouched: its share, transcript and ceremony folder
        assert (c.base / n / "keys" / OTHER / "0" / "share.sealed").exists()
        assert (c.base / n / "keys" / OTHER / "0" / "transcript.bin").exists()
        assert leftovers(c.store(n), c.base / n / "ceremonies", OTHER)

    out = c.base / "state.bin"
    p = keycouncil("recover", "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path), "--store",
                   str(c.base / "store"), "--app", "app", "-o", str(out), "--deadline", "10")
    assert p.code != 0 and not out.exists(), p
    assert f"key '{KEY}' is RETIRED: council log entry {second['seq']} (key-retired, id {entry_id}" in p.err, p.err

    bundle = keycouncil("key", "bundle", "--roster", str(c.roster_files["r1"]), "--key-id", KEY, "--operator",
                        str(c.op().path), "-o", str(c.base / "bundle.json"))
    assert bundle.code == 0 and f"key '{KEY}' is RETIRED (council log entry {second['seq']}" in bundle.err, bundle
    assert json.loads((c.base / "bundle.json").read_text())["log_notices"][0]["kind"] == "key-retired"

    # no member takes part in a ceremony of it: the same roster again (no log entry needed) ...
    report = run_reshare(c.roster("r1", 2, NAMES), c.roster("r1", 2, NAMES), KEY, c.op(), FAST)
    assert not report.committed and "retired (log entry 1)" in " ".join(report.lines()), report.lines()
    # ... or a new one (its roster-proposed entry is refused by the log's rules)
    with pytest.raises(KeycouncilError, match="retired"):
        run_reshare(c.roster("r1", 2, NAMES), c.roster("r2", 3, NAMES), KEY, c.op(), FAST)

    again, third = _retire(c, "2s")
    assert again == 0 and third["status"] == "already" and third["seq"] == second["seq"], third


def test_member_down_during_the_waiting_period_erases_at_start_up(council_with_key: Council) -> None:
    c = council_with_key
    code, first = _retire(c, "3s")
    for n in NAMES:
        assert keycouncil("member", "approve", str(c.base / n), str(first["id"])).code == 0
    code, second = _retire(c, "3s")
    assert code == 0 and second["status"] == "accepted", second
    c.kill("m3")  # down before its waiting period ends: no timer runs for it
    assert _wait(lambda: _erased(c, "m1") and _erased(c, "m2"), 30)
    assert _share_files(c, "m3"), "m3 was down: its share is still on disk"
    c.spawn("m3", "r1")
    c.wait_serving(["m3"])  # open_member erases before it serves
    assert _share_files(c, "m3") == [] and _erased(c, "m3")
    assert _events(c, "m3", "key-retired-erased")[0]["log_entry"] == second["seq"]


def _ts(event: dict[str, object]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(str(event["ts"])).timestamp()
