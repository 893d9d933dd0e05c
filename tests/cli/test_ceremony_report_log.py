"""A ceremony that committed and erased but whose council-log step did not record the epoch is not
done: the report says so and names the command, the JSON carries `logged`, and the CLI exits 1
(the chaos campaign once saw `ceremony resume` exit 0 without the epoch-committed entry)."""

from __future__ import annotations

import pytest

from cli.ceremony import finish_report
from council.driver.ceremony import CeremonyReport
from council.driver.ceremony_log import LogNote, epoch_recorded


def _report(logged: bool | None) -> CeremonyReport:
    report = CeremonyReport("reshare", "k", 2, "ab12", committed=True, erased=True)
    if logged is not None:
        report.logged = logged
        report.log.append("epoch-committed entry 3 of key k: 1 of 2 approvals needed, NOT accepted")
    return report


def test_an_unlogged_epoch_is_not_done_and_the_cli_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(False)
    assert not report.done()
    with pytest.raises(SystemExit) as exited:
        finish_report(report, as_json=False)
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "the council log does NOT record epoch 2 yet" in out
    assert "keycouncil ceremony resume --ceremony-id ab12" in out
    assert report.to_json()["logged"] is False


@pytest.mark.parametrize("logged", [True, None])
def test_a_logged_epoch_or_no_log_step_is_done(logged: bool | None, capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(logged)
    assert report.done()
    finish_report(report, as_json=True)
    assert "does NOT record" not in capsys.readouterr().out


def test_a_note_that_appended_nothing_says_whether_the_epoch_is_recorded() -> None:
    assert epoch_recorded(LogNote("already in the council log", recorded=True))
    assert not epoch_recorded(LogNote("no member of the new committee authored it", recorded=False))
