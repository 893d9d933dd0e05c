"""A real S3 server on loopback for tests, benchmarks and the demo: `moto_server` (from
moto[server]) as a separate process on 127.0.0.1 with an ephemeral port, and dummy credentials in
a shared credentials file (never argv). The only S3 server that installs on these machines; the
store code itself targets any S3-compatible service (docs/dump-format.md, "S3-compatible stores")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.localnet.tied import tied_command

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30
ACCESS_KEY = "AKIDTESTONLY0000KEY1"
SECRET_KEY = "test-only-secret-9f2c41d7e3"
AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION",
            "AWS_DEFAULT_REGION")


@dataclass
class S3Server:
    """The running server: its endpoint and the environment that points boto3 at its credentials."""

    endpoint: str
    env: dict[str, str]
    log: Path

    def client(self) -> Any:
        """A plain boto3 client (for the tests' own setup and checks)."""
        from dumps.s3store import make_client

        return make_client(self.endpoint)

    def bucket(self, prefix: str = "kc") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def process_env(self) -> dict[str, str]:
        """Environment for a child process: ours, with the test credentials and the sources."""
        env = {k: v for k, v in os.environ.items() if k not in AWS_VARS}
        env.update(self.env)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return env


def moto_server_command() -> list[str]:
    local = Path(sys.executable).parent / "moto_server"
    found = str(local) if local.exists() else shutil.which("moto_server")
    if found is None:
        raise RuntimeError("moto_server not found: install the dev extra (pip install -e '.[dev]')")
    return [found, "-H", "127.0.0.1", "-p", "0"]


def credentials_env(folder: Path) -> dict[str, str]:
    """A shared credentials file and config file with dummy values; IMDS lookups off."""
    folder.mkdir(parents=True, exist_ok=True)
    creds, config = folder / "credentials", folder / "config"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET_KEY}\n")
    creds.chmod(0o600)
    config.write_text("[default]\nregion = us-east-1\n")
    return {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_CONFIG_FILE": str(config),
            "AWS_EC2_METADATA_DISABLED": "true"}


@contextmanager
def running_moto(folder: Path) -> Iterator[S3Server]:
    """Start moto_server, wait (bounded) for its port, yield, then stop it; tied to this process
    (PR_SET_PDEATHSIG), so a killed test worker or demo leaves no S3 server behind."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "moto.log"
    env = credentials_env(folder / "aws")
    with open(log, "wb") as sink:
        proc = subprocess.Popen(tied_command(moto_server_command()), stdout=sink,
                                stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=folder)
    try:
        endpoint = _wait_for_port(proc, log)
        yield S3Server(endpoint, env, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _wait_for_port(proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        found = re.search(rb"Running on (http://127\.0\.0\.1:\d+)", log.read_bytes())
        if found:
            return found.group(1).decode()
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"moto_server did not report its port within {START_SECONDS} s")


