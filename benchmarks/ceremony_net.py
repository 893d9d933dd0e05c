"""DKG and re-share wall time over gRPC, one process per member on loopback (targets.md, "DKG and
re-share over gRPC"): n = 4, 8, 16, 32, 64, 128 (KEYCOUNCIL_BENCH_N128=0 leaves 128 out), t = ⌊2n/3⌋+1;
then n = 16 and 64 again with the BN254 signing key, and again with 50 ms added each way by a relay.

Each run starts a fresh council of member processes (`python -m council.node serve`, folders in a
temporary directory, insecure-no-passphrase, 127.0.0.1 only) and times, separately:
- process start-up: spawning the n members at once until every one logged `serving`;
- DKG: from the driver's `run_dkg` call to its report of the committed epoch;
- re-share: `run_reshare` of that key to a committee of the same n and t where ⌊n/4⌋ members are
  replaced by newcomers that were already serving (includes the driver's query for the latest epoch).
The driver runs in this process, with deadlines far longer than the defaults (see TIMING).
Every member process is SIGKILLed at the end of each run, on failure too.
Issue 7/7's limits (re-share n = 64 ≤ 12 s, DKG n = 64 ≤ 7 s, n = 128 ≤ 40 s) go to the limits table.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import limits
from benchmarks.machine import describe
from benchmarks.net_council import NetCouncil
from council.driver.ceremony import CeremonyReport, run_dkg, run_reshare
from council.driver.phases import Timing
from council.localnet.ports import loopback_port
from council.roster import Roster

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "docs" / "performance-ceremonies.png"
N128_ENV = "KEYCOUNCIL_BENCH_N128"
# The driver's defaults (30 s per call, 3 s retry window; CLI --timeout/--retry-window) leave no
# margin for n = 64..128 processes sharing 2 cores; the bench must measure, not time out.
TIMING = Timing(call_timeout=600.0, retry_window=15.0)
TARGETS = {64: 15.0, 128: 60.0}  # seconds, each of DKG and re-share, on 2 cores
KEY_ID = "bench"


def threshold(n: int) -> int:
    return 2 * n // 3 + 1


def runs_for(n: int, plain: bool = True) -> int:
    """Three runs (their median) up to n = 16, and for the plain n = 64, whose times have limits: one
    run of 64 processes on 2 cores varied from 5.7 to 7.2 s in one day (decisions.md, 127)."""
    return 3 if n <= 16 or (plain and n == 64) else 1


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
    variant: str = ""

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


def one_run(n: int, signing_key: bool = False, delay: float = 0.0) -> Run:
    """A fresh council of n member processes (+ ⌊n/4⌋ newcomers): DKG, then re-share; with the
    BN254 signing key too if `signing_key`; `delay` seconds added each way to every member's traffic."""
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
            with delayed(c, [*names, *newcomers], delay) as listen:
                run.startup = c.start_timed(names, "old", start_timeout, listen)
                run.newcomers_startup = c.start_timed(newcomers, "new", start_timeout, listen)
                _ceremonies(run, c, old, new, signing_key)
    except Exception as exc:  # a size that fails is reported, never fatal to the bench
        run.failure = f"{type(exc).__name__}: {exc}"
    return run


@contextlib.contextmanager
def delayed(c: NetCouncil, names: list[str], delay: float) -> Iterator[dict[str, str]]:
    """With `delay` > 0, a relay process in front of every member (`delay` seconds each way): each
    member serves on a fresh port and its card's address is the relay's. Yields name -> listen."""
    if delay <= 0:
        yield {}
        return
    listen = {name: f"127.0.0.1:{loopback_port()}" for name in names}
    pairs = [f"{c.members[name].listen.rsplit(':', 1)[1]}:{listen[name].rsplit(':', 1)[1]}" for name in names]
    relay = subprocess.Popen([sys.executable, "-m", "benchmarks.latency_relay", str(delay), *pairs],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert relay.stdout is not None
        if relay.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the latency relay did not start (exit code {relay.poll()})")
        yield listen
    finally:
        relay.terminate()
        relay.wait(10)


def _ceremonies(run: Run, c: NetCouncil, old: Roster, new: Roster, signing_key: bool) -> None:
    """The timed DKG, then the re-share of the same key; failures go to `run.failure`."""
    began = time.perf_counter()
    dkg = run_dkg(old, KEY_ID, c.operator, TIMING, signing_key=signing_key)
    elapsed = time.perf_counter() - began
    run.dkg_phases = dict(dkg.seconds)
    if not dkg.committed:
        run.failure = f"DKG not committed after {elapsed:.1f} s: {dkg.failure}"
        return
    run.dkg = elapsed
    run.notes += _report_notes("DKG", dkg)

    began = time.perf_counter()
    reshare = run_reshare(old, new, KEY_ID, c.operator, TIMING)
    elapsed = time.perf_counter() - began
    run.reshare_phases = dict(reshare.seconds)
    if not reshare.committed:
        run.failure = f"re-share not committed after {elapsed:.1f} s: {reshare.failure}"
        return
    if reshare.public_key != dkg.public_key:
        run.failure = "re-share committed another public key than the DKG's"
        return
    run.reshare = elapsed
    run.notes += _report_notes("re-share", reshare)


def variant_name(signing_key: bool, delay: float) -> str:
    parts = (["with the BN254 signing key"] if signing_key else []) + (
        [f"{delay * 1000:.0f} ms added each way"] if delay > 0 else [])
    return ", ".join(parts)


def bench_size(n: int, log: bool = True, signing_key: bool = False, delay: float = 0.0) -> Size:
    size = Size(n, threshold(n), [], variant_name(signing_key, delay))
    for i in range(runs_for(n, plain=not signing_key and delay <= 0)):
        run = one_run(n, signing_key, delay)
        size.runs.append(run)
        if log:
            status = run.failure or (f"startup {run.startup:.2f}s, DKG {run.dkg:.2f}s, "
                                     f"re-share {run.reshare:.2f}s")
            print(f"[ceremony_net] n={n} {size.variant or 'plain'} run {i + 1}: {status}", file=sys.stderr,
                  flush=True)
        if run.failure:
            break  # a size that fails once is not retried
    return size


def sizes(quick: bool) -> tuple[int, ...]:
    if quick:
        return (4, 8)
    base = (4, 8, 16, 32, 64)
    return base if os.environ.get(N128_ENV) == "0" else (*base, 128)


DELAY = 0.05  # seconds each way: 3/7's relay figure


def variants(quick: bool) -> tuple[tuple[int, bool, float], ...]:
    """(n, signing key, delay) runs beside the plain ones: the BN254 key of 4/7, injected latency."""
    sizes_ = (4,) if quick else (16, 64)
    return (*((n, True, 0.0) for n in sizes_), *((n, False, DELAY) for n in sizes_))


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
    n128 = any(s.n == 128 for s in results)
    left_out = f"n = 128 not run ({N128_ENV}=0)." if os.environ.get(N128_ENV) == "0" else "n = 128 not in this run."
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
        f"Runs: median of {runs_for(4)} runs for n ≤ 16 and for n = 64 (its times have limits), a single run "
        "for n = 32 and 128 (a fresh council each run). Driver deadlines: `Timing(call_timeout="
        f"{TIMING.call_timeout:.0f}, retry_window={TIMING.retry_window:.0f})` (CLI: `keycouncil ceremony "
        f"dkg|reshare --timeout {TIMING.call_timeout:.0f} --retry-window {TIMING.retry_window:.0f}`) instead of "
        "the defaults of 30 s per call and 3 s of retries, so that large committees on 2 cores are "
        "measured rather than timed out; the members themselves have no phase deadlines.",
        "",
        "Target (targets.md): n = 64 ≤ 15 s and n = 128 ≤ 60 s, each of DKG and re-share, on 2 cores"
        + ("" if os.cpu_count() == 2 else f" (this machine has {os.cpu_count()} cores: compare with care)")
        + ". " + ("Quick mode: n = 4 and 8 only." if quick else
                  ("n = 128 included." if n128 else left_out)),
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


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}×" if value is not None and base else "—"


def render_variants(plain: list[Size], extra: list[Size]) -> str:
    """The same ceremonies with the BN254 signing key, and through the latency relay."""
    by_n = {s.n: s for s in plain}
    lines = ["### The same ceremonies with the signing key, and with injected latency", "",
             "Each row is the plain run's set-up with one change: **with the BN254 signing key**, the DKG makes "
             "the council's signing key too (`ceremony dkg --signing-key`) and the re-share carries it; "
             f"**{DELAY * 1000:.0f} ms added each way**, every member serves behind a relay process "
             "(`benchmarks/latency_relay.py`; this kernel has no netem) that holds each chunk "
             f"{DELAY * 1000:.0f} ms in each direction, so every call pays at least {2 * DELAY * 1000:.0f} ms "
             "of round trip. Ratios are against the plain run at the same n in this section.", "",
             "| n | t | variant | runs | DKG wall | re-share wall | DKG ÷ plain | re-share ÷ plain |",
             "|---|---|---|---|---|---|---|---|"]
    for s in extra:
        base = by_n.get(s.n)
        dkg, reshare = s.median("dkg"), s.median("reshare")
        failed = next((r.failure for r in s.runs if r.failure), "")
        runs = f"{len(s.ok)}" + (f" (failed: {_short(failed, 160)})" if failed else "")
        lines.append(f"| {s.n} | {s.t} | {s.variant} | {runs} | {_s(dkg)} | {_s(reshare)} | "
                     f"{_ratio(dkg, base.median('dkg') if base else None)} | "
                     f"{_ratio(reshare, base.median('reshare') if base else None)} |")
    phases = [f"- {s.variant}: {p[2:]}" for s in extra if (p := _phases_line(s))]
    if phases:
        lines += ["", "Driver phase times in seconds:", "", *phases]
    return "\n".join([*lines, ""])


ISSUE_LIMITS = ((64, "reshare", 12.0), (64, "dkg", 7.0), (128, "dkg", 40.0))  # issue 7/7's table


def record_limits(results: list[Size]) -> None:
    """The rows of the limits table this section measures (issue 7/7's targets, for the state key;
    the runs with the signing key and with latency are reported beside them, not held to them)."""
    by_n = {s.n: s for s in results}
    for n, attr, limit in ISSUE_LIMITS:
        what = f"{'re-share' if attr == 'reshare' else 'DKG'} over gRPC, one process per member, n = {n}"
        value = by_n[n].median(attr) if n in by_n else None
        if value is None:
            limits.unmeasured(what, "not run or failed" if n in by_n else f"n = {n} not in this run")
        else:
            limits.record(what, value, limit, "s", source="DKG and re-share over gRPC")


def section(quick: bool) -> str:
    results = [bench_size(n) for n in sizes(quick)]
    extra = [bench_size(n, signing_key=key, delay=delay) for n, key, delay in variants(quick)]
    record_limits(results)
    return render(results, quick) + "\n" + render_variants(results, extra)


def _main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceremony_net",
                                     description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 4 and 8 only")
    parser.add_argument("--sizes", help="development: only these committee sizes, e.g. 4,8,16 (plain runs)")
    parser.add_argument("--signing-key", action="store_true", help="with --sizes: make the BN254 signing key too")
    parser.add_argument("--delay", type=float, default=0.0, help="with --sizes: seconds added each way by a relay")
    args = parser.parse_args(argv)
    if args.sizes:
        chosen = tuple(int(x) for x in args.sizes.split(","))
        print(render([bench_size(n, signing_key=args.signing_key, delay=args.delay) for n in chosen], False))
    else:
        print(section(args.quick))


if __name__ == "__main__":
    _main()
