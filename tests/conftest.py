"""Make the per-folder helper modules (crypto_helpers, dump_helpers, dcap_synth, ...) importable
from any test folder, whatever subset of the suite runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

for folder in sorted(p for p in Path(__file__).resolve().parent.iterdir() if p.is_dir()):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

if os.environ.get("KEYCOUNCIL_TEST_WITHOUT_LIBCRYPTO") == "1":
    # tests/crypto/test_libcrypto.py runs some crypto tests again this way: pycryptodome alone, as
    # on a machine without libcrypto 3 (council.crypto reads the flag at every call).
    from council.crypto import libcrypto

    libcrypto.AVAILABLE = False  # type: ignore[misc]


FILE_SECONDS: dict[str, int] = {
    "tests/demo/test_demo.py": 97,
    "tests/chain/test_anchor_tester.py": 73,
    "tests/netfaults/test_netns.py": 69,
    "tests/chain_net/test_e2e_chain.py": 66,
    "tests/docs/test_docs_run.py": 66,
    "tests/node/test_e2e.py": 65,
    "tests/crypto/test_libcrypto.py": 36,
    "tests/node/test_kill_points.py": 34,
    "tests/recovery_net/test_e2e.py": 30,
    "tests/soak/test_soak_slice.py": 29,
    "tests/node/test_schedule.py": 26,
    "tests/s3/test_s3_cli.py": 25,
    "tests/node/test_key_retire.py": 24,
    "tests/chain/test_drand_evmnet.py": 21,
    "tests/chaos/test_chaos.py": 21,
    "tests/s3/test_s3_memory.py": 19,
    "tests/fuzz/test_server_fuzz.py": 17,
    "tests/recovery_net/test_announce.py": 17,
    "tests/node/test_integration.py": 17,
}
"""The longest test files and their seconds on a quiet 2-core run (`python tools/test_order.py`).
`make test` deals files to its workers in collection order (`--no-loadscope-reorder`), so these go
first, longest first, and the short ones fill the gaps: no worker waits at the end while the other
runs a long file dealt last (xdist's own order is by test count, which put them last)."""

_ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest files first (FILE_SECONDS), every file's tests kept together and in their order."""
    def weight(item: pytest.Item) -> int:
        try:
            return FILE_SECONDS.get(item.path.resolve().relative_to(_ROOT).as_posix(), 0)
        except ValueError:  # a test outside the repository's tests folder
            return 0
    items.sort(key=weight, reverse=True)
