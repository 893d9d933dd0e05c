"""The S3 server of the tests (council.localnet.s3server: moto_server as a separate process on
127.0.0.1) and helpers to point boto3 at it and run the CLI as a process against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from council.localnet.s3server import (  # noqa: F401  (re-exported for the tests)
    ACCESS_KEY,
    AWS_VARS,
    ROOT,
    SECRET_KEY,
    S3Server,
    credentials_env,
    moto_server_command,
    running_moto,
)


@contextmanager
def aws_env(env: dict[str, str]) -> Iterator[None]:
    """Point this process's boto3 at the test credentials, restoring the environment after."""
    saved = {k: os.environ.get(k) for k in (*AWS_VARS, *env)}
    for k in AWS_VARS:
        os.environ.pop(k, None)
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Proc:
    code: int
    out: str
    err: str


def keycouncil(server: S3Server, *args: str, timeout: float = 120) -> Proc:
    """`keycouncil ARGS` as a process with the test credentials in its environment."""
    p = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", *args],
                       cwd=ROOT, env=server.process_env(), capture_output=True, text=True,
                       timeout=timeout)
    return Proc(p.returncode, p.stdout, p.stderr)
