"""A member starts without the heavy modules only some members use (decision 114): the chain
client's eth_abi/web3 stack, py_ecc, prometheus_client, boto3. Checked on sys.modules in a fresh
interpreter, never by timing."""

from __future__ import annotations

import subprocess
import sys

from node_helpers import ROOT, env

HEAVY = ("web3", "eth_abi", "eth_utils", "eth_account", "pydantic", "py_ecc", "prometheus_client",
         "boto3", "botocore", "vyper")
PROBE = ("import sys\n"
         "import cli.member, council.node.runtime, council.node.server, council.node.chain_config\n"
         "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))))\n")


def test_member_serve_path_imports_none_of_the_heavy_modules() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, *HEAVY], cwd=ROOT, env=env(), capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.split() == []
