"""Attacks by one member that lies in one kind of answer (tests/node/lying_member.py), each against
member processes: a bad approval of a log entry, junk or a forgery in a ceremony's Deal, Check or
Output reply, and a bad epoch-committed entry when asked to author it. The coordinator keeps only
what the lying member really signed for itself, names the rest in its report, and goes on with
the others: one member cannot stall the council log, a DKG or a re-share (decisions 133, 135, 136)."""

from __future__ import annotations

from pathlib import Path

import pytest
from node_helpers import Council

from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.node.log_book import folder_logbook
from council.roster import Roster

pytestmark = pytest.mark.slow

FAST = Timing(call_timeout=20, retry_window=0.5)
NAMES = ["m1", "m2", "m3", "m4"]


def _council_with_liar(c: Council, liar: str, how: str) -> Roster:
    """NAMES serving roster r1 (t = 3) as member processes, `liar` lying as `how` says."""
    c.add_members(*NAMES)
    roster = c.roster("r1", 3, NAMES)
    script = Path(__file__).with_name("lying_member.py")
    for name in NAMES:
        if name == liar:
            c.processes.spawn(name, c.base / name, [str(script), str(c.base / name), str(c.roster_files["r1"]), how])
        else:
            c.spawn(name, "r1")
    c.wait_serving(NAMES)
    return roster


@pytest.mark.parametrize("how", ["bad-signature", "other-member", "other-entry", "replayed", "junk"])
def test_one_lying_approver_does_not_stall_the_log(council: Council, how: str) -> None:
    c = council
    roster = _council_with_liar(c, "m4", how)

    report = run_dkg(roster, "k", c.op(), FAST)

    assert report.committed and report.logged, report.log
    summary = " ".join(report.log)
    assert "ACCEPTED (approved by m1, m2, m3); not counted: m4: bad approval" in summary, summary
    assert "NOT stored" not in summary, summary
    for name in NAMES:
        state = folder_logbook(c.base / name).state("k")
        assert state.started and state.next_seq == 1, (name, report.log)


@pytest.mark.parametrize("how", ["junk-dealing", "junk-response", "junk-commit-signature",
                                 "forged-commit-signature", "impersonated-dealing", "impersonated-response"])
def test_one_lying_member_does_not_stall_a_dkg(council: Council, how: str) -> None:
    c = council
    roster = _council_with_liar(c, "m4", how)

    report = run_dkg(roster, "k", c.op(), FAST)

    assert report.committed and report.logged, (report.failure, report.log)
    said = report.missing.get("m4", "")
    expected = {"junk-dealing": "its dealing does not decode", "junk-response": "its response does not decode",
                "junk-commit-signature": "its commit signature does not decode",
                "forged-commit-signature": "its commit signature is not signed by the member that sent it",
                "impersonated-dealing": "its dealing names member 1, not the member that sent it",
                "impersonated-response": "its response names member 1, not the member that sent it"}
    assert said.startswith(expected[how]), report.missing
    assert ("m4" in report.signers) == (how in ("junk-dealing", "junk-response", "impersonated-dealing",
                                                "impersonated-response")), report.signers
    assert "m1" not in report.disqualified and "m1" not in report.blamed, (report.disqualified, report.blamed)
    for name in NAMES[:3]:
        assert folder_logbook(c.base / name).state("k").started, name


@pytest.mark.parametrize("how", ["junk-entry", "wrong-epoch"])
def test_a_lying_first_author_does_not_keep_a_reshare_out_of_the_log(council: Council, how: str) -> None:
    """The epoch-committed entry is authored by the first new member that signed the commit: when
    its entry does not decode or breaks the log's rules, the next signer is asked."""
    c = council
    roster = _council_with_liar(c, "m1", how)
    assert run_dkg(roster, "k", c.op(), FAST).logged

    report = run_reshare(roster, roster, "k", c.op(), FAST)

    assert report.committed and report.logged, (report.failure, report.log)
    assert "author passed over: m1: " in " ".join(report.log), report.log
    for name in NAMES:
        state = folder_logbook(c.base / name).state("k")
        assert state.epoch == 1 and state.next_seq == 2, (name, state.epoch, state.next_seq)
