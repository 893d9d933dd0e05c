"""The suite's dealing order (tests/conftest.py): the long files it names exist, and they come
first, longest first, with every file's tests kept together and in their order."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _top_conftest() -> dict[str, int]:
    """FILE_SECONDS of tests/conftest.py (`import conftest` would find a folder's own)."""
    spec = importlib.util.spec_from_file_location("top_conftest", ROOT / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.FILE_SECONDS)


FILE_SECONDS = _top_conftest()


def test_every_named_long_file_exists() -> None:
    missing = [p for p in FILE_SECONDS if not (ROOT / p).is_file()]
    assert not missing, f"FILE_SECONDS names files that are gone: {missing}"


def test_collection_puts_the_long_files_first_and_keeps_files_together() -> None:
    out = subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", "--collect-only",
                          "-o", "addopts=--import-mode=importlib", "-q"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout
    files = [line.split("::")[0] for line in out.splitlines() if "::" in line]
    order = list(dict.fromkeys(files))
    runs = sum(1 for a, b in zip(files, files[1:], strict=False) if a != b) + 1
    assert runs == len(order), "a file's tests were split apart"
    first = order[:len(FILE_SECONDS)]
    assert set(first) == set(FILE_SECONDS)
    seconds = [FILE_SECONDS[p] for p in first]
    assert seconds == sorted(seconds, reverse=True)
