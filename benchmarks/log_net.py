"""The council log over gRPC, with member processes on loopback (issue 2/7 targets):

1. approval cost per entry per member: an operator appends recovery-requested entries (what every
   recovery appends; the members' test governance approves them by itself) to n member processes;
   per member call the client's latency of Propose (review, approval fsynced, signed) and Accept
   (t approvals checked, folded, record fsynced), the members' CPU per entry (/proc/PID/stat), and
   the whole append as `LogClient.append` does it;
2. `keycouncil log verify FILE` of a 10,000-entry export (council.log.sim.busy_log, n = 7, t = 4)
   as a process, wall and CPU (target ≤ 5 s on one core);
3. networked recovery at n = 16, t = 11 with the log steps: (2b) the request entry (its record handed
   over with the Decrypt calls, decision 131), share collection,
   (7) the t releases (one shares-released entry), against share collection alone in the same run (target: the log
   steps add ≤ 150 ms to the share-collection p50). Releases are recorded after the plaintext is
   written (recovery/coordinator.py), so they delay the command's end, not the plaintext.

Run alone: `python -m benchmarks.log_net [--quick]`.
"""

from __future__ import annotations

import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COLD_ROUNDS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else float("nan")


def _request_body(now_ms: int) -> Any:
    from council.log import RecoveryRequested

    return RecoveryRequested.make(secrets.token_bytes(16), "bench-app", 1, secrets.token_bytes(32), now_ms)


# 1. approval cost ---------------------------------------------------------------------------------

def approvals(n: int, t: int, entries: int) -> dict[str, float]:
    """Append `entries` recovery-requested entries to a fresh council of n member processes."""
    from benchmarks.recovery import start_cluster
    from council.driver.log_client import LogClient, operator_entry
    from council.driver.phases import Timing
    from council.log import Approval, LogRecord, apply
    from council.protocol.gen import log_pb2 as pb

    with tempfile.TemporaryDirectory(dir=os.environ.get("KEYCOUNCIL_BENCH_DIR")) as tmp:
        cluster, op, council = start_cluster(Path(tmp), n, t)
        try:
            roster = council.bundle.roster
            names = [m.name for m in roster.members]
            pids = {name: cluster.pid(name) for name in names}
            with LogClient(roster.members, op, Timing(call_timeout=30, retry_window=2)) as client:
                state, _ = client.read("bench")
                clients = [client.clients[m.signing_key] for m in roster.members]
                for _ in range(3):  # warm the channels and the members' caches
                    state = _one(client, state, op)
                cpu0 = {name: _cpu(pid) for name, pid in pids.items()}
                propose, accept, whole = [], [], []
                for _ in range(entries):
                    entry = operator_entry(op, state, _request_body(int(time.time() * 1000)))
                    w0 = time.perf_counter()
                    got, proposal = [], pb.ProposeRequest(entry=entry.to_bytes())
                    for c in clients:
                        c0 = time.perf_counter()
                        reply = client._call(c, "Propose", proposal)
                        propose.append(time.perf_counter() - c0)
                        assert reply.status == pb.ProposeReply.APPROVED, reply
                        got.append(Approval.from_bytes(reply.approval))
                    record = LogRecord.of(entry, got[:t])
                    hand_over = pb.AcceptRequest(record=record.to_bytes())
                    for c in clients:
                        c0 = time.perf_counter()
                        reply = client._call(c, "Accept", hand_over)
                        accept.append(time.perf_counter() - c0)
                        assert reply.status == pb.AcceptReply.APPENDED, reply
                    whole.append(time.perf_counter() - w0)
                    state = apply(state, record.entry, record.approvals, None)
                cpu = {name: (_cpu(pid) - cpu0[name]) / entries for name, pid in pids.items()}
                appends = []
                for _ in range(max(5, entries // 5)):
                    c0 = time.perf_counter()
                    state = _one(client, state, op)
                    appends.append(time.perf_counter() - c0)
        finally:
            cluster.close()
    return {"propose_p50": _p(propose, 50), "propose_p99": _p(propose, 99), "accept_p50": _p(accept, 50),
            "accept_p99": _p(accept, 99), "cpu_p50": statistics.median(cpu.values()), "cpu_max": max(cpu.values()),
            "sequential_p50": _p(whole, 50), "append_p50": _p(appends, 50), "append_p99": _p(appends, 99)}


def _one(client: Any, state: Any, op: Any) -> Any:
    """`LogClient.append` of one recovery-requested entry; the state after it."""
    from council.driver.log_client import operator_entry
    from council.log import apply

    report = client.append(state, operator_entry(op, state, _request_body(int(time.time() * 1000))))
    assert report.record is not None, report.summary()
    return apply(state, report.record.entry, report.record.approvals, None)


# 2. log verify FILE --------------------------------------------------------------------------------

def verify_cli(entries: int) -> dict[str, float | str]:
    """`keycouncil log verify FILE` on an exported `entries`-entry log, as a process."""
    from council.log import export_log
    from council.log.sim import busy_log

    log = busy_log(entries, 7, 4)
    with tempfile.TemporaryDirectory(dir=os.environ.get("KEYCOUNCIL_BENCH_DIR")) as tmp:
        path = Path(tmp) / "log.kclog"
        path.write_bytes(export_log(log.key_id, log.records))
        cli = _has_log_cli()
        argv = ([sys.executable, "-c", "from cli.main import main; main()", "log", "verify", str(path)] if cli else
                [sys.executable, "-c", _VERIFY_ALONE, str(path)])
        subprocess.run([sys.executable, "-c", "import council.log, cli.main"], cwd=ROOT, check=True)  # warm imports
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall = time.perf_counter() - w0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise RuntimeError(f"log verify failed: {p.stdout[-500:]} {p.stderr[-500:]}")
        size = path.stat().st_size
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "mib": size / 2**20,
            "how": "`keycouncil log verify FILE`" if cli else "parse_export + verify_log in a fresh process "
                                                                "(`keycouncil log verify` is not on this branch)"}


_VERIFY_ALONE = ("import sys; from pathlib import Path; from council.log import parse_export, verify_log; "
                 "e = parse_export(Path(sys.argv[1]).read_bytes()); r = verify_log(e.records, e.key_id); "
                 "sys.exit(0 if r.ok else 1)")


def _has_log_cli() -> bool:
    try:
        import cli.log  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


# 3. recovery with the log steps ----------------------------------------------------------------------

def recovery(n: int, t: int, rounds: int) -> dict[str, float]:
    """Per round: (2b) request entry, share collection, (7) releases; plus collection alone."""
    from benchmarks.recovery import _collect, _seal, start_cluster
    from council.driver.phases import Timing
    from recovery.choose import choose_dump
    from recovery.coordinator import build_request, sent_statements
    from recovery.grpc_client import GrpcMemberClient
    from recovery.log_ledger import LogLedger

    with tempfile.TemporaryDirectory(dir=os.environ.get("KEYCOUNCIL_BENCH_DIR")) as tmp:
        base = Path(tmp)
        cluster, op, council = start_cluster(base, n, t)
        try:
            _seal(base / "small", council, 4096)
            chosen = choose_dump(base / "small", "bench-app")
            client = GrpcMemberClient(council.bundle.roster, op)
            ledger = LogLedger(council.bundle.roster, op, Timing(call_timeout=30, retry_window=0), carrier=client)
            entry_s, collect_s, release_s, alone_s = [], [], [], []
            try:
                for k in range(rounds + 2):
                    request = build_request(chosen, council, op.identity.signer, int(time.time() * 1000))
                    c0 = time.perf_counter()
                    ledger.record_request(request, 30.0)
                    c1 = time.perf_counter()
                    used = _collect_logged(chosen, council, client, request)
                    c2 = time.perf_counter()
                    lines = ledger.record_releases(request, used, sent_statements(client, request, used))
                    d_entry, d_collect, d_release = c1 - c0, c2 - c1, time.perf_counter() - c2
                    if k >= 2:  # two warm-up rounds
                        entry_s.append(d_entry)
                        collect_s.append(d_collect)
                        release_s.append(d_release)
                    assert all("ACCEPTED" in line for line in lines), lines
                plain = LogLedger(council.bundle.roster, op, Timing(call_timeout=30, retry_window=0))
                for _ in range(rounds):  # the baseline: share collection alone, request entry handed over, not timed
                    alone_s.append(_collect(chosen, council, op, client, plain)[0])
                plain.close()
                cold_s = []
                for _ in range(COLD_ROUNDS):  # a fresh coordinator (a new `recover` process) verifies the log
                    fresh = LogLedger(council.bundle.roster, op, Timing(call_timeout=30, retry_window=0))
                    request = build_request(chosen, council, op.identity.signer, int(time.time() * 1000))
                    c0 = time.perf_counter()
                    fresh.record_request(request, 30.0)
                    cold_s.append(time.perf_counter() - c0)
                log_length = fresh.verified.get("bench", [m.signing_key for m in council.bundle.roster.members])[0].next_seq
            finally:
                client.close()
        finally:
            cluster.close()
    med = statistics.median
    return {"entry": med(entry_s), "collect": med(collect_s), "release": med(release_s), "alone": med(alone_s),
            "plaintext": med(a + b for a, b in zip(entry_s, collect_s, strict=True)),
            "done": med(a + b + c for a, b, c in zip(entry_s, collect_s, release_s, strict=True)),
            "releases": t, "cold": med(cold_s), "length": log_length}


def _collect_logged(chosen: Any, council: Any, client: Any, request: Any) -> tuple[int, ...]:
    """Ask every member, verify, combine, for a request already accepted in the log."""
    from council.crypto.decryption import combine
    from council.protocol.shares import context_of
    from recovery.gather import ask_members, verified_shares

    gathered = ask_members(client, request, sorted(council.verification_shares), 30.0)
    kem_ct = chosen.candidate.dump.header.kem()
    good = verified_shares(request, council, kem_ct, gathered)
    result = combine(context_of(request), kem_ct, good, council.verification_shares, council.threshold)
    return tuple(result.used)


# the section ----------------------------------------------------------------------------------------

def section(quick: bool) -> str:
    n_a, t_a, entries = (4, 3, 40) if quick else (16, 11, 100)
    n_r, t_r, rounds = (4, 3, 10) if quick else (16, 11, 30)
    a = approvals(n_a, t_a, entries)
    v = verify_cli(2_000 if quick else 10_000)
    r = recovery(n_r, t_r, rounds)
    _record_limits(2_000 if quick else 10_000, v, r)
    return render(n_a, t_a, entries, a, 2_000 if quick else 10_000, v, n_r, t_r, rounds, r)


def _record_limits(size: int, v: dict[str, Any], r: dict[str, float]) -> None:
    """targets.md: `log verify` of 10,000 entries ≤ 5 s on one core; 2/7: the log steps add ≤ 150 ms."""
    from benchmarks import limits

    where = "Council log over gRPC"
    limits.record(f"`keycouncil log verify` of a {size:,}-entry export (n = 7, t = 4), CPU", float(v["cpu"]), 5.0, "s",
                  source=where)
    limits.record("recovery with the log steps, to the plaintext, over share collection alone",
                  r["plaintext"] - r["alone"], 0.150, "s", source=where)
    limits.record("recovery with the log steps, to the end (the t releases recorded), over share collection alone",
                  r["done"] - r["alone"], 0.150, "s", source=where)


def render(n_a: int, t_a: int, entries: int, a: dict[str, float], size: int, v: dict[str, Any], n_r: int,
           t_r: int, rounds: int, r: dict[str, float]) -> str:
    ms = 1e3
    over_plain, over_done = (r["plaintext"] - r["alone"]) * ms, (r["done"] - r["alone"]) * ms
    return "\n".join([
        "## Council log over gRPC (member processes on loopback)",
        "",
        f"Approval cost: {entries} recovery-requested entries appended to n = {n_a}, t = {t_a} member processes "
        "(the members' test governance approves them by itself); every approval and every record is fsynced "
        "before the member answers.",
        "",
        "| measure | p50 | p99 |",
        "|---|---|---|",
        f"| Propose, one member (review, approval fsynced, signed) | {a['propose_p50'] * ms:.1f} ms | "
        f"{a['propose_p99'] * ms:.1f} ms |",
        f"| Accept, one member (t approvals checked, folded, record fsynced) | {a['accept_p50'] * ms:.1f} ms | "
        f"{a['accept_p99'] * ms:.1f} ms |",
        f"| one member's CPU per entry (propose + accept), median / max over members | {a['cpu_p50'] * ms:.1f} ms | "
        f"max {a['cpu_max'] * ms:.1f} ms |",
        f"| one entry, n members one after another (propose to n, accept to n) | {a['sequential_p50'] * ms:.0f} ms | |",
        f"| one entry with `LogClient.append` | {a['append_p50'] * ms:.0f} ms | {a['append_p99'] * ms:.0f} ms |",
        "",
        f"`log verify` of a {size:,}-entry export ({v['mib']:.1f} MiB, n = 7, t = 4): {v['how']}, "
        f"**{v['cpu']:.2f} s CPU**, {v['wall']:.2f} s wall, process start and imports included "
        "(target ≤ 5 s on one core).",
        "",
        f"Networked recovery with the log steps, n = {n_r}, t = {t_r}, small dump, median of {rounds} rounds "
        "(each after two warm-up rounds; one coordinator, which verifies each new log entry once):",
        "",
        "| step | median | target | met |",
        "|---|---|---|---|",
        f"| share collection alone (ask, verify, combine) | {r['alone'] * ms:.0f} ms | | |",
        f"| (2b) recovery-requested entry (propose at the head verified last, t approvals; the record goes with the Decrypt calls) | {r['entry'] * ms:.0f} ms | | |",
        f"| … the same from a fresh coordinator, which verifies the whole log ({r['length']:,} entries) first | "
        f"{r['cold'] * ms:.0f} ms | | |",
        f"| (3)-(5) share collection for the logged request (each member appends the request's record first) | {r['collect'] * ms:.0f} ms | | |",
        f"| (7) one shares-released entry of {t_r} signed statements (after the plaintext is written) | "
        f"{r['release'] * ms:.0f} ms | | |",
        f"| to the plaintext: entry + collection, over collection alone | +{over_plain:.0f} ms | ≤ +150 ms | "
        f"{'yes' if over_plain <= 150 else 'no'} |",
        f"| to the end: entry + collection + releases, over collection alone | +{over_done:.0f} ms | ≤ +150 ms | "
        f"{'yes' if over_done <= 150 else 'no'} |",
        "",
    ])


if __name__ == "__main__":
    from benchmarks.section_args import quick_flag

    print(section(quick_flag("benchmarks.log_net", __doc__)))
