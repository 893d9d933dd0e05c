"""CPU of one member in an in-process DKG and re-share, against the lower bound of targets.md.

Lower bound = (scalar multiplications the member must do) × (time of one, measured in this run),
counted per kind: fixed-base k·G, arbitrary-point k·P, and small-index j·P (Horner steps).
Every member deals and checks (their messages are needed); the output phase, identical for all,
is measured on three members. Per-member CPU = median(deal) + median(check) + median(output).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from benchmarks.machine import median_time
from council.crypto.ceremony import Participant
from council.crypto.group import P256, Scalar
from council.local import LocalMember, dkg_spec, participants_for, reshare_spec, roster_of


@dataclass(frozen=True)
class Costs:
    base: float
    var: float
    small: float


def measure_costs() -> Costs:
    k = Scalar.random()
    p = P256.base_mul(Scalar.random())
    return Costs(median_time(lambda: P256.base_mul(k)), median_time(lambda: p * k),
                 median_time(lambda: p.mul_small(100)))


def dkg_lower_bound(n: int, t: int, c: Costs) -> float:
    base = t + 1 + n + n + 1 + 1          # commitments, PoK, ECIES ephemerals, PoK checks, share checks
    var = n + n + n                       # ECIES to each member, decrypt each share, PoK checks
    small = (t - 1) * (n + 1)             # Horner: own aggregate check and every Y_j
    return base * c.base + var * c.var + small * c.small


def reshare_lower_bound(n: int, t: int, n2: int, t2: int, c: Costs) -> float:
    base = t2 + n2 + 2                    # commitments, ECIES ephemerals, aggregate and final checks
    var = n2 + n + t * t2                 # ECIES out, decrypt in, C_k = Σ λ_i·A_ik
    small = (t2 - 1) * (n2 + 1)           # Horner: aggregate check and every Y'_j
    return base * c.base + var * c.var + small * c.small


def _cpu(fn):  # type: ignore[no-untyped-def]
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def run_phases_timed(ps: list[Participant], sample: int = 3) -> float:
    """Per-member CPU: medians of deal and check over all members, output over `sample` members."""
    deal_t, check_t, out_t = [], [], []
    dealings = []
    for p in ps:
        m, dt = _cpu(p.deal)
        deal_t.append(dt)
        if m is not None:
            dealings.append(m)
    responses = []
    for p in ps:
        m, dt = _cpu(lambda p=p: p.check(dealings))
        if p.receiver_index is not None:
            check_t.append(dt)
        if m is not None:
            responses.append(m)
    receivers = [p for p in ps if p.receiver_index is not None and p.dealer_index is not None] or \
        [p for p in ps if p.receiver_index is not None]
    for p in receivers[:sample]:
        _, dt = _cpu(lambda p=p: p.output(responses))
        out_t.append(dt)
    return statistics.median(deal_t) + statistics.median(check_t) + statistics.median(out_t)


def bench(ns: tuple[int, ...] = (16, 64, 128)) -> tuple[Costs, list[dict[str, float]]]:
    costs = measure_costs()
    rows = []
    for n in ns:
        t = (2 * n) // 3 + 1
        members = [LocalMember.generate(f"m{i}") for i in range(n)]
        roster = roster_of(members, t)
        spec = dkg_spec(roster.committee(), "bench")
        ps = participants_for(spec, [], members)
        dkg_cpu = run_phases_timed(ps, sample=n)  # every member outputs: needed for the re-share
        outcome = ps[0].outcome
        assert outcome is not None
        shares = {p.receiver_index: p.outcome.share for p in ps if p.outcome and p.outcome.share}
        new = members[n // 4:] + [LocalMember.generate(f"x{i}") for i in range(n // 4)]
        spec2 = reshare_spec(roster.committee(), roster_of(new, t).committee(), "bench", outcome)
        ps2 = participants_for(spec2, members, new, shares)
        reshare_cpu = run_phases_timed(ps2)
        rows.append({"n": n, "t": t, "dkg_cpu": dkg_cpu, "dkg_lb": dkg_lower_bound(n, t, costs),
                     "reshare_cpu": reshare_cpu, "reshare_lb": reshare_lower_bound(n, t, n, t, costs)})
    return costs, rows


def render(costs: Costs, rows: list[dict[str, float]]) -> str:
    lines = [
        "## Protocol CPU per member (in-process)",
        "",
        "One scalar multiplication, median of 200 in this run: "
        f"fixed-base k·G **{costs.base * 1e6:.0f} µs**, arbitrary point k·P **{costs.var * 1e6:.0f} µs**, "
        f"small index j·P (Horner step) **{costs.small * 1e6:.1f} µs**.",
        "",
        "Lower bound = the member's scalar multiplications by kind × the measured time of each "
        "(formulas in `benchmarks/protocol.py`). Re-share: a quarter of the committee is replaced, same n and t. "
        "Target: ≤ 1.5 × the lower bound.",
        "",
        "| n | t | DKG CPU / member | lower bound | ratio | re-share CPU / member | lower bound | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['t']} | {r['dkg_cpu']:.3f} s | {r['dkg_lb']:.3f} s | "
                     f"{r['dkg_cpu'] / r['dkg_lb']:.2f} | {r['reshare_cpu']:.3f} s | {r['reshare_lb']:.3f} s | "
                     f"{r['reshare_cpu'] / r['reshare_lb']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    c, r = bench((16,))
    print(render(c, r))
