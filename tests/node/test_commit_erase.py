"""Never neither epoch (issue 3/7, defects 1 and 2): old members erase only once t' receivers
confirmed they stored the new epoch; a receiver that signed completes its store by itself after a
restart; `ceremony resume` works from any point; the driver names the ceremony before phase 1;
`council status` shows each member's ceremonies."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Sequence

import pytest
from node_helpers import ROOT, Council, env

from council.crypto.group import Point
from council.driver.ceremony import run_dkg, run_reshare, run_resume
from council.driver.phases import Timing
from council.driver.query import council_status
from council.errors import StorageError
from council.roster import Roster

FAST = Timing(call_timeout=20, retry_window=0.3)
PATIENT = Timing(call_timeout=30, retry_window=30)


def _decrypts(c: Council, key_id: str, epoch: int, roster: Roster, names: Sequence[str], y: Point) -> bool:
    """True if the named members' stored shares of `epoch` decapsulate (False if any is gone)."""
    try:
        return c.decapsulates(key_id, epoch, roster, names, y)
    except (StorageError, AssertionError, KeyError):
        return False


def test_old_members_keep_their_shares_until_t_receivers_stored(council: Council) -> None:
    """Defect 1: the newcomers sign the commit and die before storing it. The old members must not
    erase (epoch 0 still decrypts); once the newcomers are back, resume stores and then erases."""
    c = council
    old, new = ["m1", "m2", "m3"], ["m4", "m5"]
    c.add_members(*old, *new)
    r1 = c.roster("r1", 2, old)
    r2 = c.roster("r2", 4, [*old, *new])
    for n in old:
        c.spawn(n, "r1")
    for n in new:
        c.spawn(n, "r2")
    c.wait_serving([*old, *new])
    y = run_dkg(r1, "k", c.op(), FAST).bundle.public_key

    def kill_newcomers(phase: str) -> None:
        if phase == "finalize":  # they signed the commit (signed.bin is on disk) and die now
            for n in new:
                c.kill(n)
    report = run_reshare(r1, r2, "k", c.op(), FAST, hook=kill_newcomers)
    assert set(report.missing) >= set(new), report.lines()
    assert _decrypts(c, "k", 0, r1, ["m1", "m2"], y), "old members erased before t' receivers stored"
    assert not report.erased, report.lines()
    assert any("stored by 3 receivers, 4 needed" in line for line in report.lines()), report.lines()

    for n in new:
        c.spawn(n, "r2")
    c.wait_serving(new)
    resumed = run_resume(r1, bytes.fromhex(report.ceremony_id), c.op(), FAST)
    assert resumed.committed and resumed.erased, resumed.lines()
    assert _decrypts(c, "k", 1, r2, ["m2", "m3", "m4", "m5"], y)
    for n in old:
        assert not (c.members[n].path / "keys/k/0/share.sealed").exists()


def test_resume_after_a_partial_finalize(council: Council) -> None:
    """Defect 2: members that already finalized answer resume with what they stored."""
    c = council
    names = ["a", "b", "c", "d"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 3, names)
    for n in names:
        c.serve(n, "r1")
    y = run_dkg(r1, "k", c.op(), FAST).bundle.public_key
    report = run_reshare(r1, r2, "k", c.op(), FAST,
                         hook=lambda phase: c.stop("d") if phase == "finalize" else None)
    assert "d" in report.missing, report.lines()
    c.serve("d", "r1")
    resumed = run_resume(r1, bytes.fromhex(report.ceremony_id), c.op(), FAST)
    assert resumed.committed and resumed.erased and resumed.missing == {}, resumed.lines()
    assert _decrypts(c, "k", 1, r2, ["b", "c", "d"], y)
    assert c.store("d").current("k").epoch == 1
    again = run_resume(r1, bytes.fromhex(report.ceremony_id), c.op(), FAST)  # and once more: idempotent
    assert again.committed and again.erased and again.missing == {}, again.lines()


def test_council_status_shows_each_members_ceremonies(council: Council) -> None:
    c = council
    names = ["a", "b", "c"]
    c.add_members(*names)
    r1 = c.roster("r1", 2, names)
    for n in names:
        c.serve(n, "r1")
    report = run_dkg(r1, "k", c.op(), FAST, hook=lambda phase: c.stop("c") if phase == "output" else None)
    rows = {r.name: r for r in council_status(r1, c.op(), FAST)}
    assert rows["a"].ceremonies.get(report.ceremony_id) == "done", rows["a"]
    c.serve("c", "r1")
    rows = {r.name: r for r in council_status(r1, c.op(), FAST)}
    assert rows["c"].ceremonies.get(report.ceremony_id) == "in-flight", rows["c"]


@pytest.mark.slow
def test_driver_prints_the_ceremony_id_before_phase_one(council: Council) -> None:
    """A driver killed mid-ceremony has already told its operator which ceremony to resume."""
    c = council
    c.add_members("a", "b")
    c.roster("r1", 2, ["a", "b"])  # nobody serves: the deal phase retries for 30 s
    code = "from cli.member import run_group; from cli.ceremony import ceremony; run_group(ceremony)"
    proc = subprocess.Popen([sys.executable, "-u", "-c", code, "dkg", "--roster", str(c.roster_files["r1"]),
                             "--key-id", "k", "--operator", str(c.op().path), "--retry-window", "30"],
                            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline() if proc.stdout else ""),
                              daemon=True)
    reader.start()
    reader.join(20)
    try:
        assert first and proc.poll() is None, "nothing printed before the ceremony ended"
        assert first[0].startswith("ceremony ") and len(first[0].split()[1]) == 32, first
    finally:
        proc.kill()
        proc.wait(10)


def test_an_aborted_ceremony_is_closed_when_the_next_one_starts(council: Council) -> None:
    """Defect 7: a ceremony refused by a member (here: one offline, too few dealings) left in-flight
    folders on the members that dealt; the next ceremony for the same key epoch closes them."""
    c = council
    names = ["a", "b", "c"]
    c.add_members(*names)
    r = c.roster("r", 3, names)
    for n in ("a", "b"):
        c.serve(n, "r")
    aborted = run_dkg(r, "k", c.op(), FAST)
    assert not aborted.committed and "2 dealings received, 3 needed" in aborted.failure, aborted.lines()
    assert c.servers["a"].node.status().ceremonies == (aborted.ceremony_id,)
    c.serve("c", "r")
    seen: list[tuple[str, ...]] = []
    again = run_dkg(r, "k", c.op(), FAST,
                    hook=lambda phase: seen.append(c.servers["a"].node.status().ceremonies) if phase == "check" else None)
    assert again.committed, again.lines()
    assert seen == [(again.ceremony_id,)], seen
    states = {s.ceremony_id: s.state for s in c.servers["a"].node.status().recent}
    assert states[aborted.ceremony_id] == "superseded"


class DriverStops(Exception):
    """The driver process stops right after the members signed the commit (before finalize)."""


def _log_of(roster: Roster, c: Council) -> list[str]:
    from council.driver.log_client import LogClient

    with LogClient(roster.members, c.op(), FAST) as client:
        state, records = client.read("k")
    assert state.started
    return [f"{r.entry.kind.label}:{getattr(r.entry.body, 'epoch', '')}" for r in records]


def test_resume_appends_the_epoch_committed_entry_once(council: Council) -> None:
    """Issue 2/7 leftover: a re-share whose driver stopped after the commit was signed, finished by
    `ceremony resume`, leaves the council log as an uninterrupted one does (genesis, roster
    proposed, epoch committed), and a second resume appends nothing."""
    from council.driver.log_client import LogClient

    c = council
    names = ["a", "b", "c", "d"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 4, names)  # another roster: the re-share appends roster-proposed first
    for n in names:
        c.spawn(n, "r1")
    c.wait_serving(names)
    assert run_dkg(r1, "k", c.op(), FAST).committed

    def stop(phase: str) -> None:
        if phase == "finalize":
            raise DriverStops
    cid: list[str] = []
    with pytest.raises(DriverStops):
        run_reshare(r1, r2, "k", c.op(), FAST, hook=stop, on_start=lambda rep: cid.append(rep.ceremony_id))
    before = _log_of(r1, c)
    assert not any(k.startswith("epoch-committed") for k in before), before

    resumed = run_resume(r1, bytes.fromhex(cid[0]), c.op(), FAST)
    assert resumed.committed and resumed.erased, resumed.lines()
    assert any("epoch-committed" in line and "ACCEPTED" in line for line in resumed.log), resumed.lines()
    after = _log_of(r1, c)
    assert after == [*before, "epoch-committed:1"], after
    with LogClient(r2.members, c.op(), FAST) as client:
        state, _ = client.read("k")
    assert state.epoch == 1 and state.roster is not None and state.roster.digest() == r2.digest()

    again = run_resume(r1, bytes.fromhex(cid[0]), c.op(), FAST)
    assert again.committed and any("nothing appended" in line for line in again.log), again.lines()
    assert _log_of(r1, c) == after
