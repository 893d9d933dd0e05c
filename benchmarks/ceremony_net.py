"""DKG and re-share wall time over gRPC, one process per member on loopback (targets.md, "DKG and
re-share over gRPC"): n = 4, 8, 16, 32, 64 (and 128 with KEYCOUNCIL_BENCH_N128=1), t = ⌊2n/3⌋+1.

Each run starts a fresh council of member processes (`python -m council.node serve`, folders in a
temporary directory, insecure-no-passphrase, 127.0.0.1 only) and times, separately:
- process start-up: spawning the n members at once until every one logged `serving`;
- DKG: from the driver's `run_dkg` call to its report of the committed epoch;
- re-share: `run_reshare` of that key to a committee of the same n and t where ⌊n/4⌋ members are
  replaced by newcomers that were already serving (includes the driver's query for the latest epoch).
The driver runs in this process, with deadlines far longer than the defaults (see TIMING).
Every member process is SIGKILLed at the end of each run, on failure too.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import limits
from benchmarks.machine import describe
from benchmarks.net_council import NetCouncil
from council.driver.ceremony import CeremonyReport, run_dkg, run_reshare
from council.driver.phases import Timing

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "docs" / "performance-ceremonies.png"
N128_ENV = "KEYCOUNCIL_BENCH_N128"
# The driver's defaults (30 s per call, 3 s retry window; CLI --timeout/--retry-window) leave no
# margin for n = 64..128 processes sharing 2 cores; the bench must measure, not time out.
TIMING = Timing(call_timeout=600.0, retry_window=15.0)
TARGETS = {64: 15.0, 128: 60.0}  # seconds, each of DKG and re-share, on 2 cores
LIMITS = {64: {"dkg": 7.0, "reshare": 12.0}, 128: {"dkg": 40.0, "reshare": 40.0}}
"""The limits table's rows (issue #14): seconds of wall time, the median run of the size."""
LIMITS_SOURCE = "DKG and re-share over gRPC"
KEY_ID = "bench"


def threshold(n: int) -> int:
    return 2 * n // 3 + 1


def runs_for(n: int) -> int:
    return 3 if n <= 16 else 1


@dataclass
class Run:
    startup: float = 0.0
    newcomers_startup: float = 0.0
    dkg: float | None = None
    reshare: float | None = None
    dkg_phases: dict[str, float] = field(default_factory=dict)
    reshare_phases: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failure: str = ""


@dataclass
class Size:
    n: int
    t: int
    runs: list[Run]

    @property
    def ok(self) -> list[Run]:
        return [r for r in self.runs if not r.failure]

    def median(self, attr: str) -> float | None:
        values = [getattr(r, attr) for r in self.ok]
        return statistics.median(values) if values else None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit] + "…"


def _report_notes(what: str, rep: CeremonyReport) -> list[str]:
    notes = []
    if rep.missing:
        notes.append(f"{what}: {len(rep.missing)} member(s) missing ({_short('; '.join(sorted(rep.missing.values())), 120)})")
    if rep.disqualified or rep.blamed or rep.problems:
        notes.append(f"{what}: {len(rep.disqualified)} disqualified, {len(rep.blamed)} blamed, "
                     f"{len(rep.problems)} share problems")
    return notes


def one_run(n: int) -> Run:
    """A fresh council of n member processes (+ ⌊n/4⌋ newcomers): DKG, then re-share."""
    t, replaced = threshold(n), max(1, n // 4)
    names = [f"m{i:03d}" for i in range(1, n + 1)]
    newcomers = [f"new{i:03d}" for i in range(1, replaced + 1)]
    run = Run()
    try:
        with NetCouncil() as c:
            c.add_members([*names, *newcomers])
            old = c.roster("old", t, names)
            new = c.roster("new", t, [*names[replaced:], *newcomers])
            start_timeout = 60.0 + 2.0 * n
            run.startup = c.start_timed(names, "old", start_timeout)
            run.newcomers_startup = c.start_timed(newcomers, "new", start_timeout)

            began = time.perf_counter()
            dkg = run_dkg(old, KEY_ID, c.operator, TIMING)
            elapsed = time.perf_counter() - began
            run.dkg_phases = dict(dkg.seconds)
            if not dkg.committed:
                run.failure = f"DKG not committed after {elapsed:.1f} s: {dkg.failure}"
                return run
            run.dkg = elapsed
            run.notes += _report_notes("DKG", dkg)

            began = time.perf_counter()
            reshare = run_reshare(old, new, KEY_ID, c.operator, TIMING)
            elapsed = time.perf_counter() - began
            run.reshare_phases = dict(reshare.seconds)
            if not reshare.committed:
                run.failure = f"re-share not committed after {elapsed:.1f} s: {reshare.failure}"
                return run
            if reshare.public_key != dkg.public_key:
                run.failure = "re-share committed another public key than the DKG's"
                return run
            run.reshare = elapsed
            run.notes += _report_notes("re-share", reshare)
    except Exception as exc:  # a size that fails is reported, never fatal to the bench
        run.failure = f"{type(exc).__name__}: {exc}"
    return run


def bench_size(n: int, log: bool = True) -> Size:
    size = Size(n, threshold(n), [])
    for i in range(runs_for(n)):
        run = one_run(n)
        size.runs.append(run)
        if log:
            status = run.failure or (f"startup {run.startup:.2f}s, DKG {run.dkg:.2f}s, "
                                     f"re-share {run.reshare:.2f}s")
            print(f"[ceremony_net] n={n} run {i + 1}: {status}", file=sys.stderr, flush=True)
        if run.failure:
            break  # a size that fails once is not retried
    return size


def sizes(quick: bool) -> tuple[int, ...]:
    if quick:
        return (4, 8)
    base = (4, 8, 16, 32, 64)
    return (*base, 128) if os.environ.get(N128_ENV) == "1" else base


def _s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} s"


def _target(size: Size) -> str:
    limit = TARGETS.get(size.n)
    if limit is None:
        return "—"
    dkg, reshare = size.median("dkg"), size.median("reshare")
    if dkg is None or reshare is None:
        return f"≤ {limit:.0f} s each: not measured"
    verdict = "met" if dkg <= limit and reshare <= limit else "**missed**"
    return f"≤ {limit:.0f} s each: {verdict}"


def _row(size: Size) -> str:
    ok = size.ok
    failed = [r for r in size.runs if r.failure]
    cells: list[str]
    if ok:
        cells = [_s(size.median("dkg")), _s(size.median("reshare")),
                 f"{_s(size.median('startup'))} (+{_s(size.median('newcomers_startup'))} for "
                 f"{max(1, size.n // 4)} newcomer{'s' if size.n >= 8 else ''})"]
    else:
        r = failed[0]
        dkg = _s(r.dkg) if r.dkg is not None else f"FAILED: {_short(r.failure)}"
        reshare = f"FAILED: {_short(r.failure)}" if r.dkg is not None else "not run"
        cells = [dkg, reshare, _s(r.startup) if r.startup else "—"]
    runs = f"{len(ok)} run{'s' if len(ok) != 1 else ''}" if ok else "failed"
    if ok and failed:
        runs += f" (run {len(size.runs)} failed: {_short(failed[0].failure)})"
    return f"| {size.n} | {size.t} | {runs} | {cells[0]} | {cells[1]} | {cells[2]} | {_target(size)} |"


def _phases_line(size: Size) -> str:
    ok = size.ok
    if not ok:
        return ""
    middle = size.median("dkg") or 0.0
    run = min(ok, key=lambda r: abs((r.dkg or 0.0) - middle))

    def fmt(phases: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.2f}" for k, v in phases.items()) + f" (sum {sum(phases.values()):.2f})"
    return f"- n = {size.n}: DKG {fmt(run.dkg_phases)}; re-share {fmt(run.reshare_phases)}"


def chart(results: list[Size], path: Path = CHART) -> str:
    """Write the PNG; the markdown that embeds it, or why it was not drawn."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        return ("_Chart not drawn: matplotlib is not installed (`pip install 'matplotlib>=3.8'`, "
                "the `bench` extra)._")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for attr, label, style in (("dkg", "DKG", "o-"), ("reshare", "re-share (¼ replaced)", "s-"),
                               ("startup", "process start-up (n members)", "^:")):
        pts = [(s.n, v) for s in results if (v := s.median(attr)) is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
    for n, limit in TARGETS.items():
        ax.plot([n], [limit], "r_", markersize=22, markeredgewidth=2)
        ax.annotate(f"target n={n}: ≤ {limit:.0f} s", (n, limit), textcoords="offset points", xytext=(-112, 6),
                    color="r", fontsize=8)
    failed = [s.n for s in results if not s.ok]
    for n in failed:
        ax.axvline(n, color="grey", linestyle="--", linewidth=0.8)
        ax.annotate("failed", (n, 1), xycoords=("data", "axes fraction"), textcoords="offset points",
                    xytext=(3, -12), fontsize=8, color="grey")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sorted({4, 8, 16, 32, *(s.n for s in results), *TARGETS}))
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.get_yaxis().set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.set_xlabel("committee size n (t = ⌊2n/3⌋+1)")
    ax.set_ylabel("wall time (s, log scale)")
    ax.set_title(f"Ceremonies over gRPC, one process per member, {os.cpu_count()} cores", fontsize=10)
    highest = max([v for s in results for r in s.ok for v in (r.dkg, r.reshare, r.startup) if v] + [*TARGETS.values()])
    ax.set_ylim(top=highest * 2)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return f"![DKG and re-share wall time against n]({path.name})"


def render(results: list[Size], quick: bool) -> str:
    load = os.getloadavg()
    n128 = os.environ.get(N128_ENV) == "1"
    lines = [
        "## DKG and re-share over gRPC (one process per member, loopback)",
        "",
        f"Machine: {describe()}; load average {load[0]:.2f} when the section finished.",
        "",
        "Each run starts a fresh council: one `python -m council.node serve` process per member "
        "(`--insecure-no-passphrase`, folders in a temporary directory, 127.0.0.1 only); the driver "
        "(`council.driver.ceremony`) runs in the bench process on the same cores. "
        "**DKG** is the wall time of `run_dkg` with every member already serving, from the call to "
        "the report of the committed epoch (deal, check, output, finalize). **Re-share** is `run_reshare` "
        "of that key to a committee of the same n and t in which ⌊n/4⌋ members are replaced by "
        "newcomers already serving (all n old members deal; it includes the driver's query for the "
        "latest epoch). **Process start-up** is separate: from spawning the n members at once until "
        "each logged `serving` (the newcomers' start-up, spawned afterwards, in parentheses). "
        "Every member process is killed at the end of each run.",
        "",
        f"Runs: median of {runs_for(4)} runs for n ≤ 16, a single run for larger n (a fresh council each "
        "run). Driver deadlines: `Timing(call_timeout="
        f"{TIMING.call_timeout:.0f}, retry_window={TIMING.retry_window:.0f})` (CLI: `keycouncil ceremony "
        f"dkg|reshare --timeout {TIMING.call_timeout:.0f} --retry-window {TIMING.retry_window:.0f}`) instead of "
        "the defaults of 30 s per call and 3 s of retries, so that large committees on 2 cores are "
        "measured rather than timed out; the members themselves have no phase deadlines.",
        "",
        "Target (targets.md): n = 64 ≤ 15 s and n = 128 ≤ 60 s, each of DKG and re-share, on 2 cores"
        + ("" if os.cpu_count() == 2 else f" (this machine has {os.cpu_count()} cores: compare with care)")
        + ". " + ("Quick mode: n = 4 and 8 only." if quick else
                  ("n = 128 included (" + N128_ENV + "=1)." if n128 else
                   f"n = 128 not run (long): set {N128_ENV}=1 to include it.")),
        "",
        "| n | t | runs | DKG wall | re-share wall | process start-up (all members) | target |",
        "|---|---|---|---|---|---|---|",
        *(_row(s) for s in results),
        "",
    ]
    notes = [f"- n = {s.n}: {note}" for s in results for r in s.ok for note in r.notes]
    if notes:
        lines += ["Ceremonies that committed without every member:", "", *sorted(set(notes)), ""]
    phases = [p for s in results if (p := _phases_line(s))]
    if phases:
        lines += ["Driver phase times in seconds, from its report (the run with the median DKG time; the wall time adds opening the "
                  "channels and, for the re-share, the query for the latest epoch):", "", *phases, ""]
    lines += [chart(results), ""]
    return "\n".join(lines)


def record_limits(results: list[Size]) -> None:
    """The limits table's rows for the sizes that have a limit: measured, failed, or not run."""
    by_n = {s.n: s for s in results}
    for n, wanted in LIMITS.items():
        for attr, what in (("dkg", "DKG"), ("reshare", "re-share")):
            name = f"{what} over gRPC, n = {n}"
            size = by_n.get(n)
            value = size.median(attr) if size is not None else None
            if value is not None:
                limits.record(name, value, wanted[attr], "s", source=LIMITS_SOURCE)
            elif size is not None:
                limits.unmeasured(name, "the run failed")
            elif n == 128:
                limits.unmeasured(name, f"n = 128 not run (set {N128_ENV}=1)")


def section(quick: bool) -> str:
    results = [bench_size(n) for n in sizes(quick)]
    record_limits(results)
    return render(results, quick)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--sizes" in args:  # development: python -m benchmarks.ceremony_net --sizes 4,8,16,32
        chosen = tuple(int(x) for x in args[args.index("--sizes") + 1].split(","))
        measured = [bench_size(n) for n in chosen]
        record_limits(measured)
        print(render(measured, False))
        print(limits.render())
    else:
        print(section("--quick" in args))
