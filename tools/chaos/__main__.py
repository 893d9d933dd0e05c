"""`python -m tools.chaos --seed S --runs N`: the fault campaign (docs/reliability.md).

Run i uses seed S + i and prints it first: `--seed S+i --runs 1` replays that run's faults
exactly (which process dies at which step; timing inside the members stays the machine's). Each
run builds a fresh council, goes through DKG, re-share, recovery and a second re-share with its
faults, and checks the invariants after every stage (tools/chaos/invariants.py). The exit code is
1 if any run found a violation; its folder is kept. `--report FILE` writes every run as JSON.
`--calibrate` runs once without faults and prints the step counts per stage (tools/chaos/plan.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from tools.chaos.plan import RunPlan, make_plan
from tools.chaos.scenario import Run, RunResult, run_one

CLASSES = (("store-not-completed-on-restart", "without an epoch record"),
           ("orphan-share-copy", "holds a copy of its share"),
           ("erase-half-done", "epoch record says the share is erased"),
           ("erase-half-done", "share.sealed: does not decode"),
           ("share-kept-after-clean-up", "kept after epoch"),
           ("log-fork", "two accepted entries"),
           ("log-copy-invalid", "does not verify"),
           ("half-written-file", "does not decode as a whole file"),
           ("key-undecryptable", "decrypts at no epoch"),
           ("recovery-impossible", "does not recover"),
           ("stall", "still running after"),
           ("member-does-not-start", "does not start again"))


def violation_class(line: str) -> str:
    """A short name for the kind of violation (the figures count runs per class)."""
    for name, text in CLASSES:
        if text in line:
            return name
    return re.sub(r"[^a-z]+", "-", line.split(": ", 1)[-1][:40].lower())


def summary(results: list[RunResult], seed: int, seconds: float) -> dict[str, object]:
    """The campaign's figures (what docs/reliability.md reports)."""
    kinds: dict[str, int] = {}
    for r in results:
        for kind in r.fault_kinds:
            kinds[kind] = kinds.get(kind, 0) + 1
    return {"seed": seed, "runs": len(results), "seconds": round(seconds),
            "faults_planned": sum(len(r.fault_kinds) for r in results),
            "faults_by_kind": kinds, "kills": sum(r.kills for r in results),
            "restarts": sum(r.restarts for r in results),
            "runs_with_violations": sum(1 for r in results if r.violations),
            "violations": sum(len(r.violations) for r in results),
            "runs_by_violation_class": _runs_by_class(results),
            "runs_with_findings": sum(1 for r in results if r.findings),
            "stopped_early": sum(1 for r in results if any("stopped" in s for s in r.stages.values()))}


def _runs_by_class(results: list[RunResult]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        for name in sorted({violation_class(v) for v in r.violations}):
            out[name] = out.get(name, 0) + 1
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.chaos", description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=None, help="first run's seed (default: random, printed)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--dir", type=Path, default=None, help="where runs live (default: a temp folder)")
    ap.add_argument("--report", type=Path, default=None, help="write every run as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep every run's folder, not only failing ones")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time()) % 100_000
    base = args.dir or Path(tempfile.mkdtemp(prefix=f"keycouncil-chaos-{seed}-"))
    if args.calibrate:
        return calibrate(base)
    print(f"chaos: seed {seed}, {args.runs} runs, folders under {base}", flush=True)
    results: list[RunResult] = []
    start = time.monotonic()
    for i in range(args.runs):
        plan = make_plan(seed + i)
        print(f"run {i + 1}/{args.runs} seed {plan.seed}: " + "; ".join(plan.lines()), flush=True)
        r = run_one(base / f"run-{plan.seed}", plan, args.keep)
        results.append(r)
        print(f"  {r.seconds}s, kills {r.kills}, restarts {r.restarts}, stages "
              + ", ".join(f"{k} {v}" for k, v in r.stages.items()), flush=True)
        for line in r.actions:
            print(f"  operator: {line}", flush=True)
        for line in r.findings:
            print(f"  finding: {line}", flush=True)
        for line in r.violations:
            print(f"  VIOLATION: {line}", flush=True)
        if args.report:
            write_report(args.report, results, seed, time.monotonic() - start)
    figures = summary(results, seed, time.monotonic() - start)
    print("chaos summary: " + json.dumps(figures), flush=True)
    if args.report:
        write_report(args.report, results, seed, time.monotonic() - start)
    return 1 if figures["violations"] else 0


def write_report(path: Path, results: list[RunResult], seed: int, seconds: float) -> None:
    path.write_text(json.dumps({"summary": summary(results, seed, seconds),
                                "runs": [asdict(r) for r in results]}, indent=1) + "\n")


def calibrate(base: Path) -> int:
    run = Run(base / "calibrate", RunPlan(0, (), ()))
    run.calibrate = True
    try:
        result = run.run()
    finally:
        run.close()
    print(json.dumps({"stages": result.stages, "violations": result.violations, "counts": run.counts}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
