"""The CLI groups parse and print; errors are one line (run in-process with click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.member import member
from cli.operator import operator
from cli.roster import roster
from council.roster import Roster


def _ok(result: object) -> str:
    assert result.exit_code == 0, (result.output, result.exception)  # type: ignore[attr-defined]
    return result.output  # type: ignore[attr-defined]


def test_init_operator_and_roster(tmp_path: Path) -> None:
    run = CliRunner().invoke
    for n in (1, 2, 3):
        out = _ok(run(member, ["init", str(tmp_path / f"m{n}"), "--name", f"m{n}", "--listen",
                               f"127.0.0.1:{7100 + n}", "--insecure-no-passphrase"]))
        assert "member-card.json" in out
    (tmp_path / "pp").write_text("operator passphrase\n")
    _ok(run(operator, ["new", str(tmp_path / "op"), "--name", "alice", "--passphrase-file", str(tmp_path / "pp")]))
    cards = [a for n in (1, 2, 3) for a in ("--member", str(tmp_path / f"m{n}/member-card.json"))]
    out = _ok(run(roster, ["new", "-t", "2", *cards, "--operator", str(tmp_path / "op/operator-card.json"),
                           "-o", str(tmp_path / "roster.json")]))
    r = Roster.loads((tmp_path / "roster.json").read_text(), "roster")
    assert f"digest: {r.digest().hex()}" in out and r.operators[0].name == "alice"
    assert _ok(run(roster, ["digest", str(tmp_path / "roster.json")])).strip() == r.digest().hex()
    assert json.loads((tmp_path / "m1/member-card.json").read_text())["name"] == "m1"


def test_roster_and_init_refusals(tmp_path: Path) -> None:
    run = CliRunner().invoke
    _ok(run(member, ["init", str(tmp_path / "m1"), "--name", "m1", "--listen", "127.0.0.1:7201",
                     "--insecure-no-passphrase"]))
    card = str(tmp_path / "m1/member-card.json")
    bad_t = run(roster, ["new", "-t", "2", "--member", card, "-o", str(tmp_path / "r.json")])
    assert bad_t.exit_code != 0 and "threshold: 2 is out of range 1..1" in str(bad_t.exception)
    dup = run(roster, ["new", "-t", "1", "--member", card, "--member", card, "-o", str(tmp_path / "r.json")])
    assert dup.exit_code != 0 and "duplicate member name" in str(dup.exception)
    nopass = run(member, ["init", str(tmp_path / "m2"), "--name", "m2", "--listen", "127.0.0.1:7202"],
                 env={"KEYCOUNCIL_PASSPHRASE": ""})
    assert nopass.exit_code != 0 and "--insecure-no-passphrase" in str(nopass.exception)
    badlisten = run(member, ["init", str(tmp_path / "m3"), "--name", "m3", "--listen", "nowhere",
                             "--insecure-no-passphrase"])
    assert badlisten.exit_code != 0 and "expected HOST:PORT" in str(badlisten.exception)
