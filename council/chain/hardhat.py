"""A local Hardhat 2 node process on 127.0.0.1 for the end-to-end tests, the demo and benchmarks.

Hardhat is pinned in tools/hardhat (package.json and package-lock.json) and installed there by
`make hardhat` (`npm ci`). The node mines a block for every transaction and one every second
(tools/hardhat/hardhat.config.js), so confirmations arrive on their own. It runs as one `node`
process (Hardhat's CLI, without npx in between) tied to the thread that started it with
PR_SET_PDEATHSIG on Linux, so a SIGKILLed demo or test does not leave it behind.
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
from web3.types import Wei

from council.chain.account import Signer, create_key_file
from council.errors import ChainError
from council.localnet.ports import loopback_port
from council.localnet.tied import tied_command

HARDHAT_DIR = Path(__file__).resolve().parents[2] / "tools" / "hardhat"
HARDHAT_CLI = HARDHAT_DIR / "node_modules" / "hardhat" / "internal" / "cli" / "bootstrap.js"


def hardhat_installed() -> bool:
    """True if `make hardhat` has installed the pinned Hardhat and node is on PATH."""
    return shutil.which("node") is not None and HARDHAT_CLI.is_file()


class HardhatNode:
    """`hardhat node --hostname 127.0.0.1 --port PORT`, started on entry and stopped on exit."""

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
                tied_command(["node", str(HARDHAT_CLI), "node", "--hostname", "127.0.0.1",
                              "--port", str(self.port)]),
                cwd=HARDHAT_DIR, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"})
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

    def funded_account(self, key_file: Path, wei: int = 10**20) -> Signer:
        """A new account whose key lives in `key_file` (created 0600), funded from the node's first
        unlocked account."""
        signer = create_key_file(key_file)
        w3 = self.web3()
        tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": signer.address, "value": Wei(wei)})
        w3.eth.wait_for_transaction_receipt(tx, timeout=60)
        return signer

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
        """Stop the node's process group, by our own child's id."""
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
