"""The command line of one bench section run alone: `python -m benchmarks.X [--quick]`, with
`--help` and unknown flags handled (a stray `--help` must not start a long run)."""

from __future__ import annotations

import argparse


def quick_flag(prog: str, doc: str | None, argv: list[str] | None = None) -> bool:
    """Parse `[--quick]` for `python -m prog`; exits on `--help` or anything else."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=(doc or "").strip().split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a first look")
    return bool(parser.parse_args(argv).quick)
