"""The tied launcher (decision 132): a helper process dies with the one that started it, and
starting one from a process that is serving gRPC never crashes it before exec."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from council.localnet.tied import tied_command

ROOT = Path(__file__).resolve().parents[2]
TIED = ROOT / "council" / "localnet" / "tied.py"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux only")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_command_runs_in_its_place_and_keeps_its_exit_code() -> None:
    out = subprocess.run(tied_command([sys.executable, "-c", "import os, sys; print(os.getpid()); sys.exit(7)"]),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 7, out.stderr
    assert out.stdout.strip().isdigit()


def test_a_parent_already_gone_means_no_command() -> None:
    out = subprocess.run([sys.executable, str(TIED), "1", "true"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode != 0
    assert "already exited" in out.stderr


def test_bad_usage_is_refused() -> None:
    for args in ([], ["12x", "true"], [str(os.getpid())]):
        out = subprocess.run([sys.executable, str(TIED), *args], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode != 0 and "usage" in out.stderr, args


@linux_only
def test_the_command_dies_with_a_sigkilled_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import subprocess, sys, time
            from council.localnet.tied import tied_command
            child = subprocess.Popen(tied_command(["sleep", "60"]))
            print(child.pid, flush=True)
            time.sleep(60)
        """)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        while "sleep" not in Path(f"/proc/{child}/cmdline").read_text() and time.monotonic() < deadline:
            time.sleep(0.02)  # until the launcher has exec'd `sleep`
        assert _alive(child)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        parent.kill()
        parent.wait(10)


@pytest.mark.slow
def test_starting_helpers_from_a_grpc_process_never_crashes_them() -> None:
    """With `preexec_fn`, about 1 start in 100 died of SIGABRT here (gRPC's fork handlers)."""
    script = textwrap.dedent("""
        import subprocess, sys
        from concurrent import futures
        import grpc
        from council.localnet.tied import tied_command
        server = grpc.server(futures.ThreadPoolExecutor(4))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")  # a client too, as in a test worker
        codes = [subprocess.run(tied_command(["true"]), stderr=subprocess.DEVNULL).returncode
                 for _ in range(150)]
        server.stop(0)
        print(sorted(set(codes)))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[0]"


def test_no_helper_is_started_with_preexec_fn() -> None:
    folders = ("council", "dumps", "recovery", "cli", "tools", "benchmarks")
    users = [str(path.relative_to(ROOT)) for folder in folders
             for path in (ROOT / folder).rglob("*.py") if "preexec_fn=" in path.read_text()]
    assert users == []
