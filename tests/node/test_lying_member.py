"""Attack: one member answers every log proposal with an approval that is not a valid approval of
that entry by that member. The coordinator keeps only approvals that verify for the member it
asked, so the record it hands over still carries t valid approvals: one member cannot stall the
council log (and with it every re-share and recovery), and its bad answer is named in the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from council.node.log_book import folder_logbook

pytestmark = pytest.mark.slow

FAST = Timing(call_timeout=20, retry_window=0.5)
NAMES = ["m1", "m2", "m3", "m4"]


def _spawn_liar(c: Council, name: str, label: str, how: str) -> None:
    script = Path(__file__).with_name("lying_member.py")
    c.processes.spawn(name, c.base / name, [str(script), str(c.base / name), str(c.roster_files[label]), how])


@pytest.mark.parametrize("how", ["bad-signature", "other-member", "other-entry", "replayed", "junk"])
def test_one_lying_approver_does_not_stall_the_log(council: Council, how: str) -> None:
    c = council
    c.add_members(*NAMES)
    roster = c.roster("r1", 3, NAMES)
    for name in NAMES[:3]:
        c.spawn(name, "r1")
    _spawn_liar(c, "m4", "r1", how)
    c.wait_serving(NAMES)

    report = run_dkg(roster, "k", c.op(), FAST)

    assert report.committed and report.logged, report.log
    summary = " ".join(report.log)
    assert "ACCEPTED (approved by m1, m2, m3); not counted: m4: bad approval" in summary, summary
    assert "NOT stored" not in summary, summary
    for name in NAMES:
        state = folder_logbook(c.base / name).state("k")
        assert state.started and state.next_seq == 1, (name, report.log)
