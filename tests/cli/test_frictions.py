"""Issue 6/7's frictions: one passphrase option name, errors that name a real flag, several
backup files per --backup, names beside indices, INSECURE on every recovery output, the one
key-id rule, plurals."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from recovery_helpers import seal_versions, two_epochs

from cli import main as cli_main
from cli.recover import spread_option
from council.crypto.keyid import KEY_ID_RULE, is_valid_key_id
from council.errors import KeycouncilError
from council.protocol.backup import export_backup, read_backup_file

PASS = b"break glass"
PAYLOADS = [b"v1 " * 20, b"v2 " * 30, b"v3 " * 25]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    e = two_epochs()
    folder = tmp_path / "store"
    folder.mkdir()
    seal_versions(folder, [e.old, e.new, e.new], PAYLOADS)
    return folder


def _export(tmp_path: Path, indices: list[int]) -> dict[int, list[Path]]:
    e = two_epochs().new
    return {i: export_backup(e.shares[i], i, e.council.bundle, e.council.verification_shares,
                             tmp_path / f"m{i}-backup", 1, [(2, 3)], PASS)[:2] for i in indices}


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    cli_main._register()
    monkeypatch.setattr(sys, "argv", ["keycouncil", *args])
    monkeypatch.setattr(cli_main, "_register", lambda: None)
    with pytest.raises(SystemExit) as exc:
        cli_main.main()
        raise SystemExit(0)
    return int(exc.value.code or 0)


def test_spread_option_takes_several_files_per_backup() -> None:
    args = ["--offline", "--backup", "a", "b", "c", "--store", "s", "--backup", "d", "finish"]
    assert spread_option(args, "--backup", {"finish"}) == [
        "--offline", "--backup", "a", "--backup", "b", "--backup", "c", "--store", "s", "--backup", "d",
        "finish"]


def test_backup_names_carry_the_member_name(tmp_path: Path) -> None:
    files = _export(tmp_path, [2])[2]
    roster = two_epochs().new.council.bundle.roster
    name = roster.member(2).name
    assert all(re.search(rf"-e1-m2-{name}-id\d+-g1-s\d\.txt$", f.name) for f in files), files
    text = files[0].read_text()
    assert f"one SLIP-39 mnemonic of member 2 ({name}) of key" in text
    assert "(1 group needed)" in text
    assert read_backup_file(files[0]).label.describe().startswith(f"member 2 ({name}) of key")


def test_offline_recover_with_globs_names_and_insecure(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Shell-expanded files after one --backup, a quoted glob, a folder; passphrases by name and
    by index; the output names members beside their indices and says INSECURE."""
    files = _export(tmp_path, [1, 3, 4, 6, 7])
    roster = two_epochs().new.council.bundle.roster
    pw = tmp_path / "pw"
    pw.write_bytes(PASS + b"\n")
    out = tmp_path / "out.bin"
    args = ["recover", "--offline", "--store", str(store), "--app", "app", "-o", str(out),
            "--backup", *map(str, files[1] + files[3]),                 # as the shell expands m*/…
            "--backup", str(tmp_path / "m4-backup" / "*.txt"),           # quoted glob
            "--backup", str(tmp_path / "m6-backup"), "--backup", str(files[7][0]), str(files[7][1]),
            "--passphrase-file", f"{roster.member(1).name}={pw}", "--passphrase-file", f"3={pw}",
            "--backup-passphrase-file", str(pw)]
    assert _cli(args, monkeypatch) == 0
    assert out.read_bytes() == PAYLOADS[2]
    cap = capsys.readouterr()
    names = [roster.member(i).name for i in (1, 3, 4, 6, 7)]
    assert f"from backups of members 1 ({names[0]}), 3 ({names[1]})" in cap.out
    assert "INSECURE" in cap.out and "INSECURE" in cap.err


def test_offline_passphrase_member_must_be_a_name_or_an_index(tmp_path: Path, store: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    files = _export(tmp_path, [1, 3])
    pw = tmp_path / "pw"
    pw.write_bytes(PASS)
    base = ["recover", "--offline", "--store", str(store), "--app", "app", "-o", str(tmp_path / "o"),
            "--backup", *map(str, files[1] + files[3])]
    assert _cli([*base, "--passphrase-file", f"nobody={pw}"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "'nobody' is neither the name nor the index of a member whose backups are given" in err
    assert _cli([*base, "--passphrase-file", str(pw)], monkeypatch) == 2
    assert "expected MEMBER=FILE, MEMBER a member name or an index" in capsys.readouterr().err
    assert _cli([*base, "--roster", str(pw)], monkeypatch) == 2
    assert "--roster is for networked recovery, not --offline" in capsys.readouterr().err


def test_networked_recover_refuses_a_backup_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    base = ["recover", "--roster", str(tmp_path / "r"), "--operator", str(tmp_path), "--store", str(tmp_path),
            "--app", "a", "-o", str(tmp_path / "o")]
    assert _cli([*base, "--passphrase-file", "1=pass.txt"], monkeypatch) == 2
    assert "MEMBER=FILE (a backup's passphrase) is for --offline" in capsys.readouterr().err
    backup = tmp_path / "b.txt"
    backup.write_text("x")
    assert _cli([*base, "--backup", str(backup)], monkeypatch) == 2
    assert "--backup is for --offline recovery" in capsys.readouterr().err


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        out.append(((*prefix, name), cmd))
    return out


def test_every_folder_passphrase_is_passphrase_file_and_old_names_stay() -> None:
    """Each command opening a sealed folder has --passphrase-file; the old names are aliases."""
    cli_main._register()
    flags = {path: {o for p in cmd.params for o in p.opts} for path, cmd in _commands(cli_main.cli)}
    for path, opts in flags.items():
        if ("--operator" in opts and path != ("roster", "new")) or path[:1] in (("member",), ("operator",)) and path[-1] in (
                "init", "serve", "new", "export", "import", "status"):
            assert "--passphrase-file" in opts, path
    for path in (("ceremony", "dkg"), ("council", "status"), ("key", "bundle"), ("recover",)):
        assert "--operator-passphrase-file" in flags[path], path


def test_a_sealed_operator_folder_error_names_a_flag_the_command_has(tmp_path: Path) -> None:
    from council.driver.operator import OperatorFolder
    from council.node.folder import MemberFolder
    from council.roster import Roster
    from council.storage.folders import write_json

    op = OperatorFolder.init(tmp_path / "ops", "ops", b"secret passphrase")
    m = MemberFolder.init(tmp_path / "m1", "m1", "127.0.0.1:7302", None)
    write_json(tmp_path / "r.json", Roster(1, (m.card(),), (op.card(),)).to_json())
    cli_main._register()
    result = CliRunner().invoke(cli_main.cli, ["ceremony", "dkg", "--roster", str(tmp_path / "r.json"),
                                               "--key-id", "k", "--operator", str(tmp_path / "ops")],
                                env={"KEYCOUNCIL_PASSPHRASE": ""})
    assert result.exit_code != 0
    assert isinstance(result.exception, KeycouncilError)
    message = str(result.exception)
    named = re.findall(r"--[a-z-]+", message)
    dkg = cli_main.cli.commands["ceremony"].commands["dkg"]  # type: ignore[attr-defined]
    assert named and all(f in {o for p in dkg.params for o in p.opts} for f in named), message


def test_one_key_id_rule() -> None:
    from dumps.errors import HeaderInvalid
    from dumps.header import DumpHeader, Evidence

    for ok in ("app-key", "a", "A.b_c-9", "x" * 64):
        assert is_valid_key_id(ok)
    for bad in ("", ".", "..", "x" * 65, "a/b", "a b", "ключ", "app:key"):
        assert not is_valid_key_id(bad), bad
    cli_main._register()
    dkg = cli_main.cli.commands["ceremony"].commands["dkg"]  # type: ignore[attr-defined]
    assert KEY_ID_RULE in next(p for p in dkg.params if p.name == "key_id").help
    result = CliRunner().invoke(dkg, ["--roster", __file__, "--key-id", "app:key", "--operator", "."])
    assert result.exit_code == 2 and KEY_ID_RULE in result.output
    with pytest.raises(HeaderInvalid, match=re.escape(KEY_ID_RULE)):
        DumpHeader("app", 1, b"", 0, "app:key", 0, b"\x00" * 97, 64, b"\x00" * 32,
                   Evidence("simulated", b""), b"\x00" * 32)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "dump-format.md").read_text()
    assert "1..64 characters\nof `[A-Za-z0-9._-]`, not `.` or `..`" in docs
    assert "1..128 printable" not in docs


def test_plurals(tmp_path: Path) -> None:
    from cli.member import member
    from cli.operator import operator
    from cli.roster import roster

    run = CliRunner().invoke
    assert run(member, ["init", str(tmp_path / "m1"), "--name", "m1", "--listen", "127.0.0.1:7301",
                        "--insecure-no-passphrase"]).exit_code == 0
    assert run(operator, ["new", str(tmp_path / "op"), "--name", "op", "--insecure-no-passphrase"]).exit_code == 0
    out = run(roster, ["new", "-t", "1", "--member", str(tmp_path / "m1/member-card.json"), "--operator",
                       str(tmp_path / "op/operator-card.json"), "-o", str(tmp_path / "r.json")]).output
    assert "roster of 1 member, threshold 1, 1 operator written" in out
