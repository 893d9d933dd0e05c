"""Print the suite's longest test files, longest first, from a JUnit report (for FILE_SECONDS in
tests/conftest.py): `pytest tests -n 2 --dist loadfile --junitxml=J.xml`, then
`python tools/test_order.py J.xml`. Run it on a quiet machine; the order, not the figures, matters."""

from __future__ import annotations

import collections
import sys
import xml.etree.ElementTree as ET

MIN_SECONDS = 15.0
"""Shorter files are dealt in collection order: they fill the gaps at the end."""


def file_seconds(junit_path: str) -> list[tuple[str, float]]:
    """Each test file's summed test time, longest first."""
    totals: collections.defaultdict[str, float] = collections.defaultdict(float)
    for case in ET.parse(junit_path).iter("testcase"):
        parts = (case.get("classname") or "").split(".")
        totals["/".join(parts[:3]) + ".py"] += float(case.get("time") or 0)
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tools/test_order.py JUNIT.xml", file=sys.stderr)
        return 2
    for path, seconds in file_seconds(argv[0]):
        if seconds >= MIN_SECONDS:
            print(f'    "{path}": {round(seconds)},')
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
