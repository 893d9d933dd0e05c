"""`keycouncil demo`: the networked lifecycle end to end as a subprocess, its clean-up on every way
out, and its parts (the deterministic state, the committee arithmetic)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cli.demo import networked
from cli.demo.networked import Console, DemoOptions
from cli.demo.state import StateStream, same_as_version, state_sha256
from council.chain.hardhat import hardhat_installed
from council.localnet.council import DemoFailed, LocalCouncil

ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-c", "from cli.main import main; main()", "demo"]


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    env.pop("KEYCOUNCIL_PASSPHRASE", None)
    return env


def _processes_under(folder: Path | str) -> list[str]:
    """Command lines of running processes that mention `folder` (member processes do)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in cmd:
            found.append(f"{proc.name}: {cmd}")
    return found


def _demo(tmp: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen([*DEMO, *args], cwd=ROOT, env=_env(tmp), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"demo did not finish in {timeout} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks processes through /proc")
def test_networked_demo_recovers_the_newest_state_and_leaves_no_process(tmp_path: Path) -> None:
    out = _demo(tmp_path, "--state-mib", "1", timeout=180)  # 20-40 s on a loaded machine
    ports = _hardhat_ports(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("OK: state recovered byte for byte") for line in lines), out.stdout
    original = re.search(r"original +SHA-256 ([0-9a-f]{64})", out.stdout)
    recovered = re.search(r"recovered +SHA-256 ([0-9a-f]{64})", out.stdout)
    assert original and recovered and original.group(1) == recovered.group(1), out.stdout
    assert original.group(1) == state_sha256(3, 1 << 20)  # version 3: the newest
    for step in range(1, 8):
        assert f"[{step}/7]" in out.stdout
    kinds = re.findall(r"^ +\d+  ([a-z-]+) +by ", out.stdout, re.M)  # the key's log, as the demo ends
    released = re.search(r"^ +\d+  shares-released +by .*: releases of (.+)$", out.stdout, re.M)
    assert released and len(released.group(1).split(", ")) == 5, out.stdout  # the five members that answered
    assert kinds[:3] == ["genesis", "policy-changed", "sealer-admitted"], out.stdout
    assert kinds.count("dump-announced") == 3 and kinds.count("shares-released") == 1, out.stdout  # t = 5 releases, one entry
    assert kinds.count("roster-proposed") == 1, out.stdout  # the demo's roster; the rogue's never accepted
    assert "epoch-committed" in kinds and "recovery-requested" in kinds, out.stdout
    approved = re.findall(r"approved (roster-proposed|recovery-requested) entry (\d+)", out.stdout)
    assert [kind for kind, _ in approved] == ["roster-proposed", "recovery-requested"], out.stdout
    assert "refused by all" in out.stdout  # the rogue's direct re-share
    _check_chain_lines(out.stdout)
    assert _processes_under(tmp_path) == [] and _hardhat_processes(ports) == []
    assert list(tmp_path.iterdir()) == []  # the demo folder is gone without --keep


def _hardhat_ports(stdout: str) -> list[str]:
    """The port of the demo's Hardhat node, as its intro prints it (none without Hardhat)."""
    return re.findall(r"local chain: a Hardhat node process \(http://127\.0\.0\.1:(\d+)", stdout)


def _hardhat_processes(ports: list[str]) -> list[str]:
    """Running Hardhat node processes on those ports (the demo's node must be gone)."""
    found = []
    for port in ports:
        found += [p for p in _processes_under("hardhat") if f"--port {port}" in p]
    return found


def _check_chain_lines(stdout: str) -> None:
    """The log anchored on the demo's Hardhat node, and the contract's record printed at the end
    (after the log): the DKG's signing key, the head after the re-share, its roster and epoch."""
    if not hardhat_installed():
        assert "anchoring the log on chain is SKIPPED" in stdout, stdout
        assert "the contract's record of the key: SKIPPED" in stdout, stdout
        return
    assert re.search(r"local chain: a Hardhat node process \(http://127\.0\.0\.1:\d+, chain id 31337\); "
                     r"CouncilAnchor deployed at 0x[0-9a-fA-F]{40}", stdout), stdout
    dkg_key = re.search(r"BN254 signing key for the chain anchor.*\(G2 key fingerprint ([0-9a-f]{16})\)", stdout)
    assert dkg_key, stdout
    assert "signing key registered on CouncilAnchor at the empty log" in stdout, stdout
    anchored = re.findall(r"log anchored on chain: entries (\d+)\.\.(\d+) in", stdout)
    assert anchored == [("0", "5"), ("6", "7")], stdout  # after the announced dumps, after the re-share
    tail = stdout[stdout.index("the council log of key"):]  # the record comes after the log
    assert re.search(r"^the contract's record of key 'demo-state-key' \(CouncilAnchor 0x[0-9a-fA-F]{40}, "
                     r"chain id 31337\):$", tail, re.M), tail
    assert f"registered G2 key fingerprint {dkg_key.group(1)} (the DKG's signing key" in tail, tail
    head = re.search(r"anchored head: seq 8 \(entries 0\.\.7\), digest ([0-9a-f]{64})", tail)
    roster = re.search(r"roster digest ([0-9a-f]{64}), epoch 1 \(the committee after the re-share\)", tail)
    assert head and roster, tail
    assert "entries 8..9 (the recovery's) are not anchored yet" in tail, tail  # its request, its releases


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks processes through /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_demo_kills_every_member(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([*DEMO, "--state-mib", "1"], cwd=ROOT, env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:  # interrupt once the first members are up
            seen.append(line)
            if line.startswith("[2/7]"):
                break
        assert _processes_under(tmp_path), "".join(seen)
        ports = _hardhat_ports("".join(seen))
        assert len(ports) == int(hardhat_installed()), "".join(seen)
        assert len(_hardhat_processes(ports)) == len(ports)
        proc.send_signal(sig)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
    assert _processes_under(tmp_path) == [] and _hardhat_processes(ports) == []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_members_die_with_a_sigkilled_demo(tmp_path: Path) -> None:
    proc = subprocess.Popen([*DEMO, "--state-mib", "1"], cwd=ROOT, env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[2/7]"):
            break
    assert _processes_under(tmp_path)
    ports = _hardhat_ports("".join(seen))
    assert len(_hardhat_processes(ports)) == len(ports) == int(hardhat_installed()), "".join(seen)
    proc.kill()  # the demo gets no chance to clean up; its members and its Hardhat node must die with it
    proc.wait()
    deadline = time.monotonic() + 10
    while (_processes_under(tmp_path) or _hardhat_processes(ports)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_under(tmp_path) == [] and _hardhat_processes(ports) == []


def test_bad_committee_is_a_usage_error(tmp_path: Path) -> None:
    for args in (["--members", "3", "--threshold", "4"], ["--reshare-to", "7"],
                 ["--reshare-to", "2:3"]):
        out = subprocess.run([*DEMO, *args], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert "Error" in out.stderr and out.stdout == ""


def test_committees() -> None:
    default = DemoOptions()
    assert (default.leaving, default.joining) == (2, 4)  # 5 → 7: 3 stay, 4 join
    assert (DemoOptions(5, 3, 3, 2).leaving, DemoOptions(5, 3, 3, 2).joining) == (2, 0)
    assert (DemoOptions(5, 3, 2, 2).leaving, DemoOptions(5, 3, 2, 2).joining) == (3, 0)
    assert (DemoOptions(1, 1, 3, 2).leaving, DemoOptions(1, 1, 3, 2).joining) == (0, 2)
    for bad in (DemoOptions(3, 4), DemoOptions(new_members=2, new_threshold=3), DemoOptions(state_mib=0)):
        with pytest.raises(ValueError):
            bad.check()


def test_state_is_deterministic_and_compared_byte_for_byte(tmp_path: Path) -> None:
    size = 3 * (1 << 20) + 17
    path = tmp_path / "state"
    path.write_bytes(StateStream(2, size).read())
    assert StateStream(2, 100).read() == path.read_bytes()[:100]
    assert StateStream(1, 100).read() != StateStream(2, 100).read()
    identical, got, original = same_as_version(path, 2, size)
    assert identical and got == original
    assert not same_as_version(path, 1, size)[0]
    data = bytearray(path.read_bytes())
    data[size // 2] ^= 1
    path.write_bytes(bytes(data))
    identical, got, original = same_as_version(path, 2, size)
    assert not identical and got != original
    path.write_bytes(bytes(data[:-1]))
    assert not same_as_version(path, 2, size)[0]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks processes through /proc")
def test_a_failing_step_is_named_and_every_member_is_killed(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(run: networked._Run) -> None:
        assert len(run.council.running()) == run.opts.new_threshold  # steps 1-5 really ran
        raise DemoFailed("members refused")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(networked, "_recover", refuse)
    lines: list[str] = []
    assert not networked.run_networked_demo(DemoOptions(3, 2, 4, 3, state_mib=1), Console(lines.append))
    assert "FAILED at step 6/7: members refused" in lines
    assert _processes_under(tmp_path) == [] and list(tmp_path.iterdir()) == []


def test_a_recovered_state_that_differs_is_a_mismatch(tmp_path: Path) -> None:
    size = 1 << 20
    lines: list[str] = []
    run = networked._Run(DemoOptions(state_mib=1), Console(lines.append), tmp_path, LocalCouncil(tmp_path))
    run.sealed = [("v3", None, state_sha256(3, size))]  # type: ignore[list-item]
    run.recovered = tmp_path / "state.bin"
    run.recovered.write_bytes(StateStream(2, size).read())  # an older version, not the newest
    with pytest.raises(DemoFailed, match="MISMATCH"):
        networked._verify(run)
    run.recovered.unlink()
    run.recovered.write_bytes(StateStream(3, size).read())
    networked._verify(run)
    assert lines[-1].strip() == "identical, byte for byte"
