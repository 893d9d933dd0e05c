"""The council log: a member's cost per entry, and `verify_log` of 10,000 entries (targets: ≤ 5 s).

Times are CPU seconds of this process (`time.process_time`), i.e. on one core, so that other load on
the machine inflates them less than wall time; wall time is shown beside. The log is built by
`council.log.sim.busy_log` (dump announcements of four apps, a recovery request with t releases
every 100 entries, a roster change and epoch commit every 2,000). Run alone:
`python -m benchmarks.log [--quick]`.
"""

from __future__ import annotations

import statistics
import time

from council.log import LogRecord, export_log, parse_export, review, verify_log
from council.log.entry import Entry
from council.log.rules import apply
from council.log.sim import SAMPLE_TIME_MS, busy_log
from council.log.state import LogState

SIZES = ((5, 3), (7, 4))


def _member_costs(records: list[LogRecord], sample: int) -> tuple[float, float]:
    """Median µs per entry: (parse wire bytes + review), and (check t approvals + fold) on acceptance."""
    c_review, c_accept = [], []
    state = LogState(records[0].entry.key_id)
    for record in records[:sample]:
        wire = record.entry.to_bytes()
        t0 = time.process_time()
        entry = Entry.from_bytes(wire)
        decision = review(state, entry, {}, SAMPLE_TIME_MS)
        t1 = time.process_time()
        state = apply(state, entry, record.approvals, SAMPLE_TIME_MS)
        t2 = time.process_time()
        assert decision.verdict.value == "approve", decision.reason
        c_review.append(t1 - t0)
        c_accept.append(t2 - t1)
    return statistics.median(c_review) * 1e6, statistics.median(c_accept) * 1e6


def _verify(records: list[LogRecord], key_id: str) -> dict[str, float]:
    data = export_log(key_id, records)
    w0, p0 = time.perf_counter(), time.process_time()
    parsed = parse_export(data).records
    p1 = time.process_time()
    report = verify_log(parsed, key_id)
    p2, w2 = time.process_time(), time.perf_counter()
    if not report.ok or report.verified != len(records):
        raise AssertionError(f"the benchmark log does not verify: {report.failure}")
    return {"parse": p1 - p0, "verify": p2 - p1, "wall": w2 - w0, "mib": len(data) / 2**20}


def section(quick: bool) -> str:
    entries = 2_000 if quick else 10_000
    rows, costs = [], []
    for n, t in SIZES:
        log = busy_log(entries, n, t)
        r = _verify(log.records, log.key_id)
        rv, ac = _member_costs(log.records, 400 if quick else 1_000)
        rows.append(f"| {n} | {t} | {entries:,} | {r['mib']:.1f} | {r['parse']:.2f} | **{r['verify']:.2f}** | "
                    f"{r['parse'] + r['verify']:.2f} | {r['wall']:.2f} |")
        costs.append(f"| {n} | {t} | {rv:.0f} | {ac:.0f} | {rv + ac:.0f} |")
    return "\n".join([
        "## Council log",
        "",
        f"`verify_log` of a {entries:,}-entry log (every author signature, every approval, every rule), "
        "CPU seconds on one core; the export file is parsed first (`log verify FILE` does both). "
        "Signatures are checked with libsodium (decisions: the log verifies with PyNaCl). "
        "Target: ≤ 5 s for 10,000 entries." + (" Quick run: 2,000 entries." if quick else ""),
        "",
        "| n | t | entries | file MiB | parse s | verify_log s | both s | wall s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "A member's CPU per entry (median µs): parsing the entry's bytes and `review` (the one-approval "
        "guard, every rule, the author's signature) before it approves; then, once the entry is accepted, "
        "checking the t approvals and folding it into the state (`apply`). Excluded: signing the approval "
        "(one Ed25519 signature, ~40 µs) and persisting it (an fsync, milliseconds on a disk), which the "
        "adapter does between the two.",
        "",
        "| n | t | review µs | accept µs | per entry µs |",
        "|---|---|---|---|---|",
        *costs,
        "",
    ])


if __name__ == "__main__":
    from benchmarks.section_args import quick_flag

    print(section(quick_flag("benchmarks.log", __doc__)))
