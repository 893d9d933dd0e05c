"""`python -m tools.soak --minutes M`: a council under steady load, its resources sampled.

Three member processes (council.localnet), one key. Until M minutes have passed, on a fixed
schedule: an app publishes a new dump version every few seconds (dumps.app.Publisher), the
council re-shares the key to the same roster, a recovery brings the newest version back through
the council (checked byte for byte), and a member other than m1 is SIGKILLed and restarted. Every
few seconds RSS, open file descriptors and disk use of every member are sampled.

Then a line is fitted (least squares) to each series over the second half of the run, when the
caches are warm: m1 is never restarted, so its RSS and fd slopes are a leak detector; disk use is
reported with its growth per operation (the council log is append-only by design). The run fails
(exit 1) if m1's RSS grows by more than RSS_MIB_PER_HOUR or its fds by more than FDS_PER_HOUR
(projected from the slope), or if any operation failed. `--report FILE` writes the samples.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.driver.query import fetch_bundle
from council.localnet.council import DEMO_RELEASE_POLICY, TEST_GOVERNANCE, LocalCouncil
from council.storage.folders import load_roster

NAMES = ("m1", "m2", "m3")
STEADY = "m1"
EVERY = {"sample": 5.0, "seal": 3.0, "recover": 30.0, "reshare": 45.0, "restart": 20.0}
FIRST = {"sample": 0.0, "seal": 0.0, "recover": 5.0, "reshare": 45.0, "restart": 20.0}
"""When each operation first runs (seconds into the run); a short slice passes earlier ones."""
TIMING = Timing(call_timeout=20, retry_window=10)
RSS_MIB_PER_HOUR = 50.0
FDS_PER_HOUR = 30.0


@dataclass
class Soak:
    base: Path
    minutes: float
    council: LocalCouncil = field(init=False)
    samples: list[dict[str, object]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    payload: bytes = b""
    first: dict[str, float] = field(default_factory=lambda: dict(FIRST))

    def __post_init__(self) -> None:
        self.council = LocalCouncil(self.base)

    def setup(self) -> None:
        c = self.council
        for n in NAMES:
            c.init_member(n, None, release_policy=DEMO_RELEASE_POLICY, governance=TEST_GOVERNANCE)
        self.roster_path = c.write_roster("r1", 2, NAMES)[1]
        c.init_operator()
        c.start(NAMES, self.roster_path, 90)
        roster = load_roster(self.roster_path)
        report = run_dkg(roster, "soak", c.init_operator(), TIMING)
        if not report.committed:
            raise SystemExit("soak: the DKG did not commit: " + " | ".join(report.lines()))
        from council.driver.announce import LogAnnouncer
        from dumps import app

        bundle = fetch_bundle(roster, "soak", c.init_operator(), TIMING)
        (self.base / "store").mkdir()
        sealer = app.SealingIdentity.simulated()
        c.admit_sealer(roster, "soak", sealer)  # members release only for a sealer admitted in the log
        self.publisher = app.Publisher(app.FolderStore(self.base / "store"), app.SealTarget.from_bundle(bundle),
                                       sealer, "soak",
                                       announce=LogAnnouncer(roster, "soak", sealer, c.init_operator(), TIMING))

    # Operations ----------------------------------------------------------------------------------
    def seal(self) -> None:
        self.payload = secrets.token_bytes(4096 + secrets.randbelow(60_000))
        self.publisher.publish(io.BytesIO(self.payload))

    def recover(self) -> None:
        from cli.recover import recover

        out = self.base / f"recovered-{secrets.token_hex(4)}.bin"
        args = ["--roster", str(self.roster_path), "--operator", str(self.base / "operator"), "--store",
                str(self.base / "store"), "--app", "soak", "-o", str(out), "--deadline", "30"]
        result = CliRunner().invoke(recover, args, catch_exceptions=True)
        if result.exit_code != 0 or out.read_bytes() != self.payload:
            self.failures.append(f"recovery at {self.elapsed():.0f}s: {result.exception or result.output[-300:]}")
        out.unlink(missing_ok=True)

    def reshare(self) -> None:
        roster = load_roster(self.roster_path)
        report = run_reshare(roster, roster, "soak", self.council.init_operator(), TIMING)
        if not report.committed:
            self.failures.append(f"re-share at {self.elapsed():.0f}s: {report.failure}")

    def restart(self) -> None:
        name = secrets.choice([n for n in NAMES if n != STEADY])
        self.council.kill(name)
        self.council.start([name], self.roster_path, 90)

    def sample(self) -> None:
        row: dict[str, object] = {"t": round(self.elapsed(), 1)}
        for n in NAMES:
            pid = self.council.pid(n)
            row[n] = {"rss": _rss(pid), "fds": len(os.listdir(f"/proc/{pid}/fd")),
                      "disk": _du(self.base / n), "events": _size(self.base / n / "log" / "events.jsonl")}
        self.samples.append(row)

    # Schedule ------------------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def run(self) -> None:
        self.setup()
        self.start = time.monotonic()
        due = {what: self.first.get(what, 0.0) for what in EVERY}
        while self.elapsed() < self.minutes * 60:
            now = self.elapsed()
            for what, when in sorted(due.items(), key=lambda kv: kv[1]):
                if when <= now:
                    try:
                        getattr(self, what)()
                    except Exception as exc:  # noqa: BLE001 - a failed operation is a finding, not a crash
                        self.failures.append(f"{what} at {now:.0f}s: {type(exc).__name__}: {str(exc)[:300]}")
                    self.counts[what] = self.counts.get(what, 0) + 1
                    due[what] = self.elapsed() + EVERY[what]
            time.sleep(0.2)
        self.sample()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (per unit of x); 0 for fewer than two points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def figures(samples: list[dict[str, object]], counts: dict[str, int]) -> dict[str, object]:
    """Per member and metric: first and last value and the fitted slope per hour (second half)."""
    half = samples[len(samples) // 2:]
    out: dict[str, object] = {}
    for n in NAMES:
        per: dict[str, object] = {}
        for metric in ("rss", "fds", "disk", "events"):
            series = [(float(s["t"]) / 3600, float(s[n][metric])) for s in half]  # type: ignore[index]
            first, last = samples[0][n][metric], samples[-1][n][metric]  # type: ignore[index]
            per[metric] = {"first": first, "last": last, "slope_per_hour": round(slope(series), 1)}
        out[n] = per
    ops = sum(counts.get(k, 0) for k in ("recover", "reshare"))
    disk = out[STEADY]["disk"]  # type: ignore[index]
    out["disk_bytes_per_recovery_or_reshare"] = round((disk["last"] - disk["first"]) / max(ops, 1))  # type: ignore[index]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--report", type=Path, default=None)
    args = ap.parse_args(argv)
    base = args.dir or Path(tempfile.mkdtemp(prefix="keycouncil-soak-"))
    soak = Soak(base, args.minutes)
    print(f"soak: {args.minutes} minutes under {base}", flush=True)
    try:
        soak.run()
    finally:
        soak.council.close()
    result = {"minutes": args.minutes, "operations": soak.counts, "failures": soak.failures,
              "figures": figures(soak.samples, soak.counts)}
    if args.report:
        args.report.write_text(json.dumps({**result, "samples": soak.samples}, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    steady = result["figures"][STEADY]  # type: ignore[index]
    problems = list(soak.failures)
    if steady["rss"]["slope_per_hour"] > RSS_MIB_PER_HOUR * (1 << 20):
        problems.append(f"{STEADY}: RSS grows {steady['rss']['slope_per_hour'] / (1 << 20):.0f} MiB/h")
    if steady["fds"]["slope_per_hour"] > FDS_PER_HOUR:
        problems.append(f"{STEADY}: open fds grow {steady['fds']['slope_per_hour']:.0f}/h")
    for p in problems:
        print(f"SOAK PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
