"""CPU of one member in an in-process DKG and re-share, against the lower bound of targets.md.

Lower bound = (scalar multiplications the member must do) × (time of one, measured in this run),
counted per kind: fixed-base k·G, arbitrary-point k·P, and small-index j·P (Horner steps).
Every dealer deals (its dealing is needed); check and output, identical work for every receiver, are
measured on three members, the other receivers answering with the all-good response an honest run
produces. The re-share starts from an epoch dealt directly (not measured). Per-member CPU =
median(deal) + median(check) + median(output).
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from dataclasses import dataclass

from benchmarks.machine import median_time
from council.crypto import vss
from council.crypto.ceremony import Participant
from council.crypto.committee import Committee
from council.crypto.group import P256, Scalar
from council.crypto.messages import CeremonySpec, Kind, PreviousEpoch, Response, Signed, sign
from council.local import LocalMember, dkg_spec, participants_for, roster_of


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
    """Per-member CPU = median(deal) over every dealer + median(check) + median(output) over
    `sample` receivers. Every dealer deals (its dealing is needed); the other receivers' answers
    are the all-good responses an honest run produces, signed by them, without running their check."""
    deal_t, check_t, out_t = [], [], []
    dealings = []
    for p in ps:
        m, dt = _cpu(p.deal)
        if p.dealer_index is not None:
            deal_t.append(dt)
        if m is not None:
            dealings.append(m)
    receivers = [p for p in ps if p.receiver_index is not None]
    measured = ([p for p in receivers if p.dealer_index is not None] or receivers)[:sample]
    responses = []
    for p in measured:
        m, dt = _cpu(lambda p=p: p.check(dealings))
        check_t.append(dt)
        if m is not None:
            responses.append(m)
    responses += [_all_good(p) for p in receivers if p not in measured]
    for p in measured:
        _, dt = _cpu(lambda p=p: p.output(responses))
        assert p.outcome is not None and p.outcome.share is not None, p.outcome
        out_t.append(dt)
    return statistics.median(deal_t) + statistics.median(check_t) + statistics.median(out_t)


def _all_good(p: Participant) -> Signed:
    """The response of a receiver whose shares all checked out (no complaints)."""
    assert p.receiver_index is not None
    body = Response(p.spec.digest(), p.receiver_index, ()).to_bytes()
    return sign(p.signer, Response.KIND, p.receiver_index, body)


def dealt_epoch(committee: Committee, secret: Scalar) -> tuple[PreviousEpoch, dict[int, Scalar]]:
    """A committed epoch to re-share from, dealt directly (its creation is not what we measure)."""
    commitments, shares = vss.deal(secret, committee.threshold, committee.indices)
    ys = {j: P256.base_mul(s) for j, s in shares.items()}
    return PreviousEpoch(0, commitments[0], ys), shares


def bench(ns: tuple[int, ...] = (16, 64, 128, 256)) -> tuple[Costs, list[dict[str, float]]]:
    costs = measure_costs()
    rows = []
    for n in ns:
        t = (2 * n) // 3 + 1
        members = [LocalMember.generate(f"m{i}") for i in range(n)]
        committee = roster_of(members, t).committee()
        dkg_cpu = run_phases_timed(participants_for(dkg_spec(committee, "bench"), [], members))
        previous, shares = dealt_epoch(committee, Scalar.random())
        new = members[n // 4:] + [LocalMember.generate(f"x{i}") for i in range(n // 4)]
        spec = CeremonySpec(Kind.RESHARE, secrets.token_bytes(16), "bench", 1, committee,
                            roster_of(new, t).committee(), previous)
        reshare_cpu = run_phases_timed(participants_for(spec, members, new, shares))
        rows.append({"n": n, "t": t, "dkg_cpu": dkg_cpu, "dkg_lb": dkg_lower_bound(n, t, costs),
                     "reshare_cpu": reshare_cpu, "reshare_lb": reshare_lower_bound(n, t, n, t, costs)})
        print(f"[protocol] n={n}: DKG {dkg_cpu:.3f} s, re-share {reshare_cpu:.3f} s per member", file=sys.stderr)
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
        "Every dealer deals; check and output are measured on three members (docstring of `benchmarks/protocol.py`). "
        "Target: ≤ 1.5 × the lower bound. The bound is a model and errs both ways since decision 104: it charges "
        "every Y_j as (t−1)(n+1) Horner steps, which the member's finite differences beat at large n, and it "
        "leaves out the decoding and on-curve checks of the n·t commitment points, their n·t additions and the "
        "2n signature checks, which the member must do; read the ratio with that in mind.",
        "",
        "| n | t | DKG CPU / member | lower bound | ratio | re-share CPU / member | lower bound | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['t']} | {r['dkg_cpu']:.3f} s | {r['dkg_lb']:.3f} s | "
                     f"{r['dkg_cpu'] / r['dkg_lb']:.2f} | {r['reshare_cpu']:.3f} s | {r['reshare_lb']:.3f} s | "
                     f"{r['reshare_cpu'] / r['reshare_lb']:.2f} |")
    return "\n".join(lines) + "\n"


def _main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.protocol",
                                     description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[16], metavar="N",
                        help="committee sizes (default 16); t = 2n//3 + 1")
    c, r = bench(tuple(parser.parse_args(argv).sizes))
    print(render(c, r))


if __name__ == "__main__":
    _main()
