"""Epochs without a human at the keyboard: `ceremony reshare --every` re-shares three epochs
unattended with one member down throughout; the member catches up when it returns; SIGTERM stops
the scheduler cleanly; `council status` shows the last and next epoch change."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from node_helpers import ROOT, Council

from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from council.driver.schedule import ScheduleError, parse_duration, read_state
from council.localnet.processes import child_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]
FAST = Timing(call_timeout=20, retry_window=0.5)
KEY = "sched-key"


def test_parse_duration() -> None:
    assert [parse_duration(t) for t in ("90", "30s", "15m", "6h", "1d", "1h30m", "1.5s")] == \
        [90, 30, 900, 21600, 86400, 5400, 1.5]
    for bad in ("", "abc", "10x", "0s", "1h 30m"):
        with pytest.raises(ScheduleError):
            parse_duration(bad)


def _keycouncil(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", *args], cwd=ROOT,
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ticks(stream: IO[str]) -> Iterator[dict[str, Any]]:
    for line in stream:
        doc = json.loads(line)
        assert doc["format"] == 1
        yield doc["epoch_change"]


def _stderr(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.kill()
    return proc.stderr.read() if proc.stderr else ""


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path)
    try:
        yield c
    finally:
        c.close()


def test_three_scheduled_epochs_with_a_member_down_then_it_catches_up(council: Council) -> None:
    c = council
    c.add_members("m1", "m2", "m3")
    roster = c.roster("r1", 2, ["m1", "m2", "m3"])
    for n in ("m1", "m2", "m3"):
        c.spawn(n, "r1")
    c.wait_serving(["m1", "m2", "m3"])
    dkg = run_dkg(roster, KEY, c.op(), FAST)
    assert dkg.committed and dkg.bundle is not None
    c.kill("m3")                                                    # down for all three epochs

    sched = _keycouncil("ceremony", "reshare", "--key-id", KEY, "--roster", str(c.roster_files["r1"]),
                        "--operator", str(c.op().path), "--every", "2s", "--jitter", "0.2",
                        "--catch-up-every", "1s", "--max-epochs", "3", "--retry-window", "0.3",
                        "--timeout", "10", "--json")
    try:
        assert sched.stdout is not None
        ticks = _ticks(sched.stdout)
        changes = []
        for tick in ticks:
            if tick["kind"] == "epoch-change":
                changes.append(tick)
                assert "m3" in tick["ceremony"]["missing"] and "m3" not in c.running()
                if len(changes) == 3:
                    break
            assert tick["kind"] in ("scheduled", "epoch-change", "catch-up"), tick
        assert [t["ceremony"]["epoch"] for t in changes] == [1, 2, 3], _stderr(sched)
        assert all(set(t["ceremony"]["signers"]) == {"m1", "m2"} for t in changes)
        assert changes[0]["ceremony"]["public_key"] == dkg.public_key
        assert c.store("m3").current(KEY).epoch == 0                 # still behind
        state = read_state(c.op().path, KEY)
        assert state is not None and state["epochs_changed"] == 3 and state["behind"] == ["m3"]

        c.spawn("m3", "r1")                                          # it comes back
        c.wait_serving(["m3"])
        caught = next(t for t in ticks if t["kind"] == "catch-up" and t.get("catch_up"))
        assert caught["catch_up"] == [{"name": "m3", "result": "caught up to epoch 3"}], caught
        assert next(ticks)["kind"] == "stopped"
        assert sched.wait(30) == 0, sched.stderr.read() if sched.stderr else ""
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait(10)
    assert c.store("m3").current(KEY).epoch == 3 and c.store("m3").current(KEY).holds_share
    assert not (c.base / "m3" / "keys" / KEY / "0" / "share.sealed").exists()   # old share erased
    assert c.decapsulates(KEY, 3, roster, ["m1", "m3"], dkg.bundle.public_key)
    assert c.decapsulates(KEY, 3, roster, ["m2", "m3"], dkg.bundle.public_key)


def test_sigterm_stops_the_scheduler_and_status_shows_the_next_change(council: Council) -> None:
    c = council
    c.add_members("a", "b")
    roster = c.roster("r", 2, ["a", "b"])
    for n in ("a", "b"):
        c.spawn(n, "r")
    c.wait_serving(["a", "b"])
    assert run_dkg(roster, KEY, c.op(), FAST).committed
    sched = _keycouncil("ceremony", "reshare", "--key-id", KEY, "--roster", str(c.roster_files["r"]),
                        "--operator", str(c.op().path), "--every", "1h", "--json")
    try:
        assert sched.stdout is not None
        ticks = _ticks(sched.stdout)
        first = next(ticks)
        assert first["kind"] == "scheduled" and first["next_unix_ms"] > time.time() * 1000 + 3000 * 1000
        status = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "council", "status",
                                 "--roster", str(c.roster_files["r"]), "--operator", str(c.op().path)],
                                cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        assert f"key {KEY}: epoch 0 on 2 of 2 reachable members; last epoch change 20" in status.stdout
        assert "next epoch change 20" in status.stdout and "(ceremony reshare --every 3600 s)" in status.stdout
        sched.send_signal(signal.SIGTERM)
        assert next(ticks)["kind"] == "stopped"
        assert sched.wait(15) == 0
    finally:
        if sched.poll() is None:
            sched.kill()
            sched.wait(10)
    assert read_state(c.op().path, KEY)["running"] is False  # type: ignore[index]
