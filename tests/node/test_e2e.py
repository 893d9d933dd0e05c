"""End to end with member processes: a member SIGKILLed during a re-share and restarted, a member
that misses a re-share and catches up later, and the CLI driving a ceremony."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from node_helpers import ROOT, Council, env

from council.driver.catchup import run_catch_up
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.driver.query import council_status

pytestmark = pytest.mark.slow
PATIENT = Timing(call_timeout=30, retry_window=30)
FAST = Timing(call_timeout=30, retry_window=0.5)


MODULES = {"council": "council_status"}


def _cli(group: str, *args: str) -> subprocess.CompletedProcess[str]:
    module = MODULES.get(group, group)
    code = f"from cli.member import run_group; from cli.{module} import {group}; run_group({group})"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=90)


def _start(c: Council, names: list[str], label: str) -> None:
    for n in names:
        c.spawn(n, label)
    c.wait_serving(names)


@pytest.mark.parametrize("phase", ["check", "output", "finalize"])
def test_member_killed_during_reshare_and_restarted(council: Council, phase: str) -> None:
    c = council
    names = ["m1", "m2", "m3", "m4", "m5"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 4, names)
    _start(c, names, "r1")
    dkg = run_dkg(r1, "k", c.op(), FAST)
    assert dkg.committed, dkg.lines()
    y = dkg.bundle.public_key
    restarted = threading.Event()

    def crash(current: str) -> None:
        if current != phase:
            return
        c.kill("m2")  # SIGKILL: no chance to clean up

        def restart() -> None:
            time.sleep(0.3)
            c.spawn("m2", "r1")
            restarted.set()
        threading.Thread(target=restart, daemon=True).start()

    report = run_reshare(r1, r2, "k", c.op(), PATIENT, hook=crash)
    assert restarted.wait(10)
    c.wait_serving(["m2"])
    if report.committed:
        assert report.missing == {}, report.lines()  # m2 resumed from its files and finished
        assert c.decapsulates("k", 1, r2, ["m2", "m3", "m4", "m5"], y)
        assert not (c.members["m2"].path / "keys/k/0/share.sealed").exists()
    else:  # an abort must leave the old epoch whole
        assert c.decapsulates("k", 0, r1, ["m1", "m2", "m3"], y)
    assert report.committed  # with a restart inside the retry window the ceremony completes


@pytest.mark.parametrize("phase", ["deal", "check", "output", "stored"])
def test_member_sigkilled_mid_phase_after_persisting(council: Council, phase: str) -> None:
    """m2 dies after writing its state but before answering; restarted, it answers from its files
    (or, after `stored`, settles: new epoch kept, old share erased)."""
    c = council
    names = ["m1", "m2", "m3", "m4"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 3, names)
    _start(c, names, "r1")
    dkg = run_dkg(r1, "k", c.op(), FAST)
    assert dkg.committed, dkg.lines()
    y = dkg.bundle.public_key
    c.kill("m2")
    c.spawn("m2", "r1", crash_after=phase)
    c.wait_serving(["m2"])
    crashing = c.procs["m2"]

    def restart_when_dead() -> None:
        crashing.wait(60)
        c.spawn("m2", "r1")
    threading.Thread(target=restart_when_dead, daemon=True).start()

    report = run_reshare(r1, r2, "k", c.op(), PATIENT)
    assert crashing.returncode == -9  # it really was SIGKILLed mid-phase
    assert report.committed and report.missing == {}, report.lines()
    assert c.decapsulates("k", 1, r2, ["m2", "m3", "m4"], y)
    assert c.store("m2").current("k").epoch == 1
    assert not (c.members["m2"].path / "keys/k/0/share.sealed").exists()  # erased after the restart


def test_member_offline_during_reshare_catches_up_later(council: Council) -> None:
    c = council
    names = ["m1", "m2", "m3", "m4"]
    c.add_members(*names, "m5")
    op = c.op()
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 3, [*names, "m5"])
    _start(c, names, "r1")

    out = _cli("ceremony", "dkg", "--roster", str(c.roster_files["r1"]), "--key-id", "app",
               "--operator", str(op.path), "--retry-window", "0.5")
    assert out.returncode == 0 and "COMMITTED" in out.stdout, out.stdout + out.stderr
    y_hex = out.stdout.split("public key: ")[1].split()[0]

    c.kill("m4")
    _start(c, ["m5"], "r2")
    report = run_reshare(r1, r2, "app", op, FAST)
    assert report.committed and set(report.missing) == {"m4"}, report.lines()
    assert report.public_key == y_hex
    y = report.bundle.public_key

    _start(c, ["m4"], "r1")
    rows = {r.name: r for r in council_status(r2, op, FAST)}
    assert rows["m4"].epochs == {"app": "0"} and rows["m1"].epochs == {"app": "1"}
    out = _cli("ceremony", "catch-up", "--roster", str(c.roster_files["r2"]), "--key-id", "app",
               "--operator", str(op.path))
    assert out.returncode == 0 and "m4: caught up to epoch 1" in out.stdout, out.stdout + out.stderr
    assert c.decapsulates("app", 1, r2, ["m4", "m5", "m1"], y)
    assert not (c.members["m4"].path / "keys/app/0/share.sealed").exists()

    out = _cli("council", "status", "--roster", str(c.roster_files["r2"]), "--operator", str(op.path))
    assert out.returncode == 0, out.stderr
    member_rows = out.stdout.split("\n\n")[0].splitlines()[1:]       # the table; key lines follow
    assert member_rows and all(line.split()[1:3] == ["yes", "1"] for line in member_rows), out.stdout

    bundle_file = c.base / "bundle.json"
    out = _cli("key", "bundle", "--roster", str(c.roster_files["r2"]), "--key-id", "app", "-o",
               str(bundle_file), "--operator", str(op.path))
    assert out.returncode == 0 and "epoch 1" in out.stdout, out.stderr
    from council.bundle import KeyBundle
    b = KeyBundle.load(bundle_file)
    b.verify(r2.digest())
    assert b.public_key == y


def test_member_crashed_before_finalize_catches_up(council: Council) -> None:
    c = council
    names = ["m1", "m2", "m3"]
    c.add_members(*names)
    r1 = c.roster("r1", 2, names)
    r2 = c.roster("r2", 3, names)
    _start(c, names, "r1")
    assert run_dkg(r1, "k", c.op(), FAST).committed
    report = run_reshare(r1, r2, "k", c.op(), FAST,
                         hook=lambda phase: c.kill("m3") if phase == "finalize" else None)
    assert report.committed and set(report.missing) == {"m3"}, report.lines()
    _start(c, ["m3"], "r1")
    assert run_catch_up(r2, "k", c.op(), FAST)["m3"] == "caught up to epoch 1"
    assert c.decapsulates("k", 1, r2, ["m1", "m2", "m3"], report.bundle.public_key)
    assert not (c.members["m3"].path / "keys/k/0/share.sealed").exists()
