"""Operator conventions: --json documents, keycouncil.toml and environment defaults (flag > env >
config), and documented shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from recovery_helpers import seal_versions, two_epochs

from cli import main as cli_main
from cli.config import ConfigError, default_map, load_config
from council.node.folder import MemberFolder
from council.roster import Roster
from council.storage.folders import write_json

ROOT = Path(__file__).resolve().parents[2]


def _cli() -> object:
    cli_main._register()
    return cli_main.cli


def _roster(tmp_path: Path, name: str) -> Path:
    """A one-member roster whose member listens on a closed loopback port."""
    from council.driver.operator import OperatorFolder
    from council.localnet.ports import loopback_port

    op = tmp_path / "ops"
    operator = OperatorFolder.open(op, None) if op.exists() else OperatorFolder.init(op, "ops", None)
    m = MemberFolder.init(tmp_path / name, name, f"127.0.0.1:{loopback_port()}", None)
    path = tmp_path / f"{name}.json"
    write_json(path, Roster(1, (m.card(),), (operator.card(),)).to_json())
    return path


def test_json_of_dump_ls_and_verify(tmp_path: Path) -> None:
    e = two_epochs()
    store = tmp_path / "store"
    store.mkdir()
    seal_versions(store, [e.old, e.new], [b"one" * 10, b"two" * 10])
    run = CliRunner().invoke
    listed = run(_cli(), ["dump", "ls", str(store), "--json"])  # type: ignore[arg-type]
    assert listed.exit_code == 0, listed.output
    doc = json.loads(listed.stdout)
    assert doc["format"] == 1 and [d["version"] for d in doc["dumps"]] == [1, 2]
    assert doc["dumps"][1]["status"] == "newest" and doc["dumps"][1]["insecure"] is True
    newest = store / doc["dumps"][1]["name"]
    verified = run(_cli(), ["dump", "verify", str(newest), "--json"])  # type: ignore[arg-type]
    assert verified.exit_code == 0, verified.output
    v = json.loads(verified.stdout)["dump"]
    assert v["authentic"] and v["version"] == 2 and v["insecure"] and len(v["digest"]) == 64


def test_config_defaults_and_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """keycouncil.toml gives --roster and --operator; $KEYCOUNCIL_ROSTER beats it; a flag beats both."""
    from_config, from_env, from_flag = (_roster(tmp_path, n) for n in ("cfg", "env", "flag"))
    cfg = tmp_path / "keycouncil.toml"
    cfg.write_text('roster = "cfg.json"\noperator = "ops"\n[member]\nfolder = "cfg"\n')
    dm = default_map(_cli(), load_config(cfg))  # type: ignore[arg-type]
    assert dm["council"]["status"]["roster_path"] == str(from_config)
    assert dm["ceremony"]["dkg"]["operator_dir"] == str(tmp_path / "ops")
    assert dm["member"]["serve"] == {"folder": str(tmp_path / "cfg")}          # never a roster
    assert "folder" not in dm["member"].get("approve", {})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KEYCOUNCIL_ROSTER", raising=False)
    monkeypatch.delenv("KEYCOUNCIL_OPERATOR", raising=False)

    def status(*extra: str, env: dict[str, str] | None = None) -> str:
        args = [sys.executable, "-c", "from cli.main import main; main()", "council", "status",
                "--timeout", "1", "--retry-window", "0", *extra]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        return p.stdout + p.stderr
    assert "cfg  " in status()
    assert "env  " in status(env={"KEYCOUNCIL_ROSTER": str(from_env)})
    assert "flag  " in status("--roster", str(from_flag), env={"KEYCOUNCIL_ROSTER": str(from_env)})
    cfg.write_text('rooster = "x"\n')
    with pytest.raises(ConfigError, match="unknown field rooster"):
        load_config(cfg)
    assert "error: " in status() and "unknown field rooster" in status()


def test_shell_completion_as_documented() -> None:
    env = {**os.environ, "_KEYCOUNCIL_COMPLETE": "bash_source", "PYTHONPATH": str(ROOT)}
    keycouncil = Path(sys.executable).with_name("keycouncil")
    p = subprocess.run([str(keycouncil)], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and "_keycouncil_completion" in p.stdout, p.stderr
    docs = (ROOT / "docs" / "operators.md").read_text()
    assert "_KEYCOUNCIL_COMPLETE=bash_source keycouncil" in docs
