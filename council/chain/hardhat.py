"""A local Hardhat 2 node process on 127.0.0.1 for the end-to-end tests, the demo and benchmarks.

Hardhat is pinned in tools/hardhat (package.json and package-lock.json) and installed there by
`make hardhat` (`npm ci`). The node mines a block for every transaction and one every second
(tools/hardhat/hardhat.config.js), so confirmations arrive on their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

from web3 import HTTPProvider, Web3

from council.errors import ChainError
from council.localnet.ports import loopback_port

HARDHAT_DIR = Path(__file__).resolve().parents[2] / "tools" / "hardhat"


def hardhat_installed() -> bool:
    """True if `make hardhat` has installed the pinned Hardhat and node is on PATH."""
    return shutil.which("npx") is not None and (HARDHAT_DIR / "node_modules" / "hardhat").is_dir()


class HardhatNode:
    """`npx hardhat node --hostname 127.0.0.1 --port PORT`, started on entry and stopped on exit."""

    def __init__(self, log_path: Path, start_timeout: float = 60.0) -> None:
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.port = loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> HardhatNode:
        if not hardhat_installed():
            raise ChainError(f"Hardhat is not installed in {HARDHAT_DIR} (run `make hardhat`)")
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                ["npx", "--no-install", "hardhat", "node", "--hostname", "127.0.0.1", "--port", str(self.port)],
                cwd=HARDHAT_DIR, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"})
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def web3(self, timeout: float = 30.0) -> Web3:
        """A web3 connection to the node."""
        return Web3(HTTPProvider(self.url, request_kwargs={"timeout": timeout}))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        w3 = self.web3(timeout=2.0)
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise ChainError(f"hardhat node exited with code {self._proc.returncode}; see {self.log_path}")
            try:
                if w3.eth.chain_id:
                    return
            except Exception:  # not listening yet: connection refused
                time.sleep(0.2)
        raise ChainError(f"hardhat node did not answer on {self.url} within {self.start_timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """Stop the node's process group (npx and the node it runs), by our own child's id."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
