"""Kill points between signing, storing and erasing (issue 3/7): a member SIGKILLed right after
each of them is looked at while dead, then restarted; the re-share must still complete.

While dead, its folder must show the order the protocol promises: the commit signed before the
epoch is stored, the share before epoch.json, the new epoch stored before the old share is erased.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from node_helpers import Council

from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing

pytestmark = pytest.mark.slow
PATIENT = Timing(call_timeout=30, retry_window=30)
FAST = Timing(call_timeout=30, retry_window=0.5)

# phase → (old share still on disk, new share on disk, new epoch.json on disk) while the member is dead
EXPECTED = {
    "signed": (True, False, False),
    "commits": (True, False, False),
    "store:share.sealed": (True, True, False),
    "store:transcript.bin": (True, True, False),
    "stored": (True, True, True),
    "erased": (False, True, True),
}


def _snapshot(folder: Path) -> tuple[bool, bool, bool]:
    keys = folder / "keys" / "k"
    return ((keys / "0" / "share.sealed").exists(), (keys / "1" / "share.sealed").exists(),
            (keys / "1" / "epoch.json").exists())


@pytest.mark.parametrize("phase", list(EXPECTED))
def test_killed_between_sign_store_and_erase(council: Council, phase: str) -> None:
    c = council
    names = ["m1", "m2", "m3", "m4"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 3, names)
    for n in names:
        c.spawn(n, "r1")
    c.wait_serving(names)
    y = run_dkg(r1, "k", c.op(), FAST).bundle.public_key
    c.kill("m2")
    c.spawn("m2", "r1", crash_after=phase)
    c.wait_serving(["m2"])
    crashing = c.procs["m2"]
    seen: list[tuple[bool, bool, bool]] = []

    def restart_when_dead() -> None:
        crashing.wait(60)
        seen.append(_snapshot(c.members["m2"].path))
        c.spawn("m2", "r1")
    threading.Thread(target=restart_when_dead, daemon=True).start()

    report = run_reshare(r1, r2, "k", c.op(), PATIENT)
    assert crashing.returncode == -9, f"m2 was not killed at {phase}"
    assert seen == [EXPECTED[phase]], f"at {phase}: (old share, new share, new epoch.json) = {seen}"
    assert report.committed and report.erased and report.missing == {}, report.lines()
    assert c.decapsulates("k", 1, r2, ["m2", "m3", "m4"], y)
    assert not (c.members["m2"].path / "keys/k/0/share.sealed").exists()
    if phase == "commits":  # it had the t' commit signatures: it finished storing before serving
        log = (c.members["m2"].path / "log" / "events.jsonl").read_text()
        assert '"event": "store-completed"' in log
