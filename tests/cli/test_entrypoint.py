"""Exit codes through the installed entry point (not click's test runner): 0 only on success."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "dcap"


def test_attest_verify_exit_codes_through_the_entry_point() -> None:
    folder = VECTORS / "q01-sgx-v3-dcapqvl"
    at = json.loads((folder / "expected.json").read_text())["at"]
    base = [sys.executable, "-c", "from cli.main import main; main()", "attest", "verify",
            str(folder / "quote.bin"), "--collateral", str(folder / "collateral")]
    ok = subprocess.run([*base, "--at", at], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["verified"] is True
    late = subprocess.run([*base, "--at", "2031-01-01T00:00:00Z"], capture_output=True, text=True, timeout=60)
    assert late.returncode == 1 and json.loads(late.stdout)["verified"] is False


def test_top_level_help_lists_every_group_as_its_own_help_says_without_importing_it() -> None:
    """`keycouncil --help` takes each group's line from `cli.main.SUMMARIES` (decision 114): the
    same text as the group's own help at every width, and no group module imported for it."""
    import click

    from cli import main as cli_main

    for name in cli_main.COMMANDS:
        group = cli_main._load(name)
        assert not group.hidden and not group.deprecated and group.short_help is None
        placeholder = click.Command(name, help=cli_main.SUMMARIES[name])
        for limit in range(10, 160):
            assert placeholder.get_short_help_str(limit) == group.get_short_help_str(limit), (name, limit)
    probe = ("import json, sys\nfrom cli.main import main\nsys.argv = ['keycouncil', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout
    assert "Commands:" in out and "state-dump keys" in out
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert not loaded & {module for module, _ in cli_main.COMMANDS.values()}
    assert not loaded & {"grpc", "council.crypto.group", "dumps.seal"}
