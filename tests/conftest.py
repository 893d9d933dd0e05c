"""Make the per-folder helper modules (crypto_helpers, dump_helpers, dcap_synth, ...) importable
from any test folder, whatever subset of the suite runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

for folder in sorted(p for p in Path(__file__).resolve().parent.iterdir() if p.is_dir()):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

if os.environ.get("KEYCOUNCIL_TEST_WITHOUT_LIBCRYPTO") == "1":
    # tests/crypto/test_libcrypto.py runs some crypto tests again this way: pycryptodome alone, as
    # on a machine without libcrypto 3 (council.crypto reads the flag at every call).
    from council.crypto import libcrypto

    libcrypto.AVAILABLE = False  # type: ignore[misc]
