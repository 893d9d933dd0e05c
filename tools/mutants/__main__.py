"""`python -m tools.mutants`: plant each curated one-line bug and check that its tests fail.

The list is data (tools/mutants/mutants.toml): per mutant the file, the exact original text (it
must occur exactly once), the mutated text, and the tests that should kill it. Each mutant is
planted in a private copy of the checkout (never in the working tree: other runs may be importing
it), its tests run there (`pytest -x`, members started by the tests import the copy), and the copy
is restored. Outcomes: `killed` (a test failed), `SURVIVED` (every test passed), `STALE` (the
original text is no longer in the file exactly once: update the list), `ERROR` (pytest did not run
the tests: a missing file, nothing collected). Exit code 1 unless every chosen mutant is killed.

    python -m tools.mutants                 every mutant
    python -m tools.mutants --slice 2/5     the 2nd of 5 interleaved slices (CI rotates them)
    python -m tools.mutants --only ID ...   these mutants; --list prints the ids
    python -m tools.mutants --baseline      also check each mutant's tests pass unmutated first
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIST = Path(__file__).with_name("mutants.toml")
COPIED = ("council", "dumps", "recovery", "cli", "tests", "tools", "proto", "pyproject.toml", "docs")
IGNORED = shutil.ignore_patterns("__pycache__", "node_modules", ".venv", "*.pyc", "artifacts", "cache")
TIMEOUT = 900


@dataclass(frozen=True)
class Mutant:
    """One planted bug."""

    id: str
    file: str
    original: str
    mutated: str
    tests: tuple[str, ...]
    why: str


def load(path: Path = LIST) -> list[Mutant]:
    """The curated list; every field is required and ids are unique."""
    data = tomllib.loads(path.read_text())
    out = []
    for k, m in enumerate(data.get("mutant", [])):
        missing = [f for f in ("id", "file", "original", "mutated", "tests", "why") if f not in m]
        if missing:
            raise SystemExit(f"{path}: mutant {k + 1}: missing {', '.join(missing)}")
        out.append(Mutant(m["id"], m["file"], m["original"], m["mutated"], tuple(m["tests"]), m["why"]))
    ids = [m.id for m in out]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"{path}: duplicate mutant ids")
    return out


def copy_tree(dest: Path) -> Path:
    """A private copy of the checkout to plant mutants in."""
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORED)
        elif src.exists():
            shutil.copy2(src, dest / name)
    modules = ROOT / "tools" / "hardhat" / "node_modules"  # the pinned Hardhat, used as installed (not copied)
    if modules.is_dir() and (dest / "tools" / "hardhat").is_dir():
        (dest / "tools" / "hardhat" / "node_modules").symlink_to(modules, target_is_directory=True)
    return dest


def pytest(tree: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-rfE", "-p", "no:cacheprovider", "--rootdir",
                           str(tree), *tests], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


def outcome(code: int) -> str:
    """pytest's exit code as a mutant outcome: 1 = a test failed, 0 = all passed."""
    return {0: "SURVIVED", 1: "killed"}.get(code, "ERROR")


def run_mutant(tree: Path, m: Mutant) -> tuple[str, str]:
    """Plant, test, restore; (outcome, detail)."""
    path = tree / m.file
    original = path.read_text()
    if original.count(m.original) != 1:
        return "STALE", f"the original text occurs {original.count(m.original)} times in {m.file}"
    try:
        path.write_text(original.replace(m.original, m.mutated))
        res = pytest(tree, m.tests)
    finally:
        path.write_text(original)
    lines = res.stdout.strip().splitlines()
    summary = [ln for ln in lines if re.search(r"\d+ (passed|failed|error)", ln)]
    failed = [ln.split(" - ")[0] for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    last = [ln.strip() for ln in lines if ln.strip()][-1:]
    return outcome(res.returncode), " ".join(failed[:1] or summary[-1:] or last or ["(no output)"])[:200]


def choose(mutants: list[Mutant], only: list[str], piece: str | None) -> list[Mutant]:
    if only:
        unknown = set(only) - {m.id for m in mutants}
        if unknown:
            raise SystemExit(f"unknown mutant ids: {', '.join(sorted(unknown))} (see --list)")
        return [m for m in mutants if m.id in only]
    if piece:
        k, n = (int(x) for x in piece.split("/"))
        if not 1 <= k <= n:
            raise SystemExit("--slice K/N needs 1 <= K <= N")
        return mutants[k - 1::n]
    return mutants


def rotating_slice(n: int) -> str:
    """Today's slice of `n` (CI runs one per day, so the whole list turns over every n days)."""
    return f"{datetime.date.today().toordinal() % n + 1}/{n}"


def check(mutants: list[Mutant]) -> int:
    """Every mutant still applies (its original text occurs once) and its tests exist."""
    bad = []
    for m in mutants:
        n = (ROOT / m.file).read_text().count(m.original) if (ROOT / m.file).exists() else 0
        if n != 1:
            bad.append(f"STALE    {m.id}: the original text occurs {n} times in {m.file}")
        bad += [f"MISSING  {m.id}: {t}" for t in m.tests if not (ROOT / t.split("::")[0]).exists()]
    print("\n".join(bad) or f"{len(mutants)} mutants apply, their tests exist")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.mutants", description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--only", nargs="+", default=[])
    ap.add_argument("--slice", dest="piece", default=None, help="K/N, or 'today/N' for the rotating slice")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--check", action="store_true", help="only check every original text is found once")
    ap.add_argument("--file", type=Path, default=LIST, help="another list (tests of this tool)")
    args = ap.parse_args(argv)
    mutants = load(args.file)
    if args.list:
        for m in mutants:
            print(f"{m.id:34} {m.file}: {m.why}")
        return 0
    if args.check:
        return check(mutants)
    piece = rotating_slice(int(args.piece.split("/")[1])) if args.piece and args.piece.startswith("today/") else args.piece
    chosen = choose(mutants, args.only, piece)
    counts: dict[str, int] = {}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="keycouncil-mutants-") as tmp:
        tree = copy_tree(Path(tmp))
        if args.baseline:
            for tests in sorted({m.tests for m in chosen}):
                res = pytest(tree, tests)
                if res.returncode != 0:
                    print(f"BASELINE FAILS: {' '.join(tests)}: {res.stdout.strip().splitlines()[-1:]}")
                    return 1
        for m in chosen:
            t0 = time.monotonic()
            result, detail = run_mutant(tree, m)
            counts[result] = counts.get(result, 0) + 1
            print(f"{result:8} {m.id:34} {time.monotonic() - t0:5.1f}s  {detail}", flush=True)
    print(f"mutants: {len(chosen)} planted" + (f" (slice {piece})" if piece else "") + ", "
          + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f", {time.monotonic() - start:.0f}s")
    return 0 if counts.get("killed", 0) == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
