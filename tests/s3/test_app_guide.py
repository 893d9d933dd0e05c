"""docs/app-guide.md's example, run as written: a council of three member processes makes a key;
the example app seals three versions into a bucket of the S3 server process, restarts (a new
process, no local state) and seals a fourth that chains to the third; every member is killed (full
shutdown), two restart, and `keycouncil recover --store s3://…` restores version 4 byte for byte."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from net_helpers import keycouncil, write_release_policy
from node_helpers import Council
from s3_helpers import ROOT, S3Server

from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from dumps.newest import choose_newest
from dumps.stores import open_store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
GUIDE = ROOT / "docs" / "app-guide.md"
NAMES = ["m1", "m2", "m3"]


def example_source() -> str:
    """The code block after `<!-- example: inventory.py -->` in the guide."""
    text = GUIDE.read_text()
    found = re.search(r"<!-- example: inventory\.py -->\n```python\n(.*?)\n```\n", text, re.S)
    assert found, "docs/app-guide.md lost its example"
    return found.group(1) + "\n"


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path / "council")
    try:
        yield c
    finally:
        c.close()


def _run_app(script: Path, env: dict[str, str], count: int, cwd: Path) -> str:
    cwd.mkdir()
    p = subprocess.run([sys.executable, str(script), str(count)], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_the_guide_example_survives_a_restart_and_a_full_shutdown(tmp_path: Path, s3: S3Server,
                                                                  council: Council) -> None:
    c = council
    (tmp_path / "council").mkdir(exist_ok=True)
    c.add_members(*NAMES)
    roster = c.roster("r1", 2, NAMES)
    for n in NAMES:
        write_release_policy(c.base / n)
        c.spawn(n, "r1")
    c.wait_serving(NAMES)
    dkg = run_dkg(roster, "appkey", c.op(), Timing(call_timeout=20, retry_window=1))
    assert dkg.committed and dkg.bundle is not None, dkg.lines()
    (tmp_path / "bundle.json").write_text(dkg.bundle.dumps())

    script = tmp_path / "inventory.py"
    script.write_text(example_source())
    url = f"s3://{s3.bucket()}/inventory"
    env = {**s3.process_env(), "KC_BUNDLE": str(tmp_path / "bundle.json"),
           "KC_SIGNER": str(tmp_path / "signer"), "KC_STORE": url, "KC_S3_ENDPOINT": s3.endpoint}
    first = _run_app(script, env, 3, tmp_path / "run-1")
    assert first.splitlines()[0] == "resuming after nothing yet"
    second = _run_app(script, env, 1, tmp_path / "run-2")          # a new process, no local state
    assert second.splitlines()[0] == "resuming after version 3"
    assert f"published version 4 to {url}/inventory-v4.kcdump" in second
    expected = re.search(r"state sha256 ([0-9a-f]{64})", second)
    assert expected

    selection = choose_newest(open_store(url, s3_endpoint=s3.endpoint), "inventory")
    assert [x.version for x in selection.chain] == [1, 2, 3, 4] and not selection.skipped
    assert selection.chain[3].dump.header.previous_digest == selection.chain[2].dump.digest

    from dumps.sealer import SealingIdentity

    c.admit_sealer(roster, "appkey", SealingIdentity.load(tmp_path / "signer"))  # the council admits the app's sealer
    for n in list(c.procs):
        c.kill(n)                                                   # full shutdown
    for n in ("m1", "m3"):
        c.spawn(n, "r1")
    c.wait_serving(["m1", "m3"])
    out = tmp_path / "state.bin"
    p = keycouncil("recover", "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path),
                   "--store", url, "--s3-endpoint", s3.endpoint, "--app", "inventory", "-o", str(out),
                   "--deadline", "20")
    assert p.code == 0, p.err
    assert "chosen: inventory-v4.kcdump (inventory version 4)" in p.err
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected.group(1)
