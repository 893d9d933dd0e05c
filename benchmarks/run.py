"""`make bench`: run every benchmark in one process and write docs/performance.md."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

from benchmarks import limits, protocol
from benchmarks.machine import describe

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "performance.md"
OPTIONAL_SECTIONS = ("benchmarks.dumps", "benchmarks.ceremony_net", "benchmarks.recovery", "benchmarks.peers",
                     "benchmarks.log", "benchmarks.log_net", "benchmarks.bn254", "benchmarks.s3", "benchmarks.chain",
                     "benchmarks.chain_members")  # modules with `section(quick) -> str`


def main(argv: list[str] | None = None) -> None:
    from benchmarks.section_args import quick_flag

    quick = quick_flag("benchmarks.run", __doc__, argv)
    parts = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m benchmarks.run`); every ratio is measured in one run on one machine.",
        "",
        f"Machine: {describe()}. Run: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
    ]
    costs, rows = protocol.bench((16,) if quick else (16, 64, 128, 256))
    for row in rows:
        limits.record(f"DKG CPU per member against its lower bound, n = {row['n']:.0f}",
                      row["dkg_cpu"] / row["dkg_lb"], 1.5, "×", source="Protocol CPU per member")
    sections = [protocol.render(costs, rows)]
    for name in OPTIONAL_SECTIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            limits.unmeasured(name, "module missing")
            continue
        sections.append(module.section(quick))
    text = "\n".join([*parts, limits.render(), *sections])
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
