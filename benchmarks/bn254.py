"""The council's BN254 signing key (pure Python: raw integers, py_ecc for the rest): curve
operations, threshold BLS, and what its sub-dealing adds to a DKG and a re-share per member, next
to the P-256 state key's ceremony.

Per-member CPU (process time) of the BN254 part, pure functions in process, as benchmarks/protocol.py
counts the P-256 part: deal = one dealer's `sharing.deal` (mean over all n dealers); check = decode
and publicly check all n dealings plus the receiver's aggregate Feldman check; output = the group key
(DKG: one pairing equation), `public_output` (every Y_j) and the receiver's share. Every dealer
deals (its dealing is needed). The CPU clock of these machines ticks in 10 ms steps, so single
operations are means over many calls.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from benchmarks import protocol
from council.crypto.bn254 import bls, sharing, vss
from council.crypto.bn254.curve import G1, G2, Fr, pairing_check
from council.crypto.bn254.hash_to_curve import hash_to_g1
from council.crypto.bn254.sharing import BnDealing
from council.crypto.bn254.threshold import combine, lagrange_at_zero, sign_partial, verify_partial

T = TypeVar("T")
CTX = b"bench-ceremony"


def _cpu(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def _mean(fn: Callable[[], object], repeat: int) -> float:
    """Mean process time over `repeat` calls (the CPU clock here ticks in 10 ms steps)."""
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def micro(quick: bool) -> list[tuple[str, float]]:
    """Single operations, mean process time."""
    rep = 5 if quick else 20
    k = Fr.random()
    p1, p2 = G1.base_mul(Fr.random()), G2.base_mul(Fr.random())
    G1.base_mul(k), G2.base_mul(k)  # build the comb tables outside the timing
    hashed = hash_to_g1(b"head")
    share = Fr.random()
    partial = sign_partial(CTX, b"head", 1, share)
    y1 = G1.base_mul(share)
    return [
        ("G1 k·P (arbitrary point)", _mean(lambda: p1 * k, rep)),
        ("G1 k·g1 (fixed-base comb)", _mean(lambda: G1.base_mul(k), rep)),
        ("G2 k·Q (arbitrary point)", _mean(lambda: p2 * k, rep)),
        ("G2 k·g2 (fixed-base comb)", _mean(lambda: G2.base_mul(k), rep)),
        ("G2 subgroup check (ψ)", _mean(p2.in_subgroup, rep)),
        ("one pairing e(P, Q)", _mean(lambda: pairing_check([(p1, p2)]), max(2, rep // 4))),
        ("pairing check of two pairs (BLS verify)", _mean(
            lambda: pairing_check([(p1, -G2.generator()), (hashed, p2)]), max(2, rep // 4))),
        ("hash to G1 (drand evmnet)", _mean(lambda: hash_to_g1(b"head"), rep)),
        ("one partial signature with its DLEQ proof", _mean(lambda: sign_partial(CTX, b"head", 1, share), rep)),
        ("verify one partial signature (DLEQ)", _mean(lambda: verify_partial(CTX, hashed, partial, y1), rep)),
    ]


def combine_rows(sizes: list[tuple[int, int]]) -> list[tuple[int, int, float, float]]:
    """(t, n, combine CPU incl. its one pairing check, verify CPU of the combined signature)."""
    rows = []
    for t, n in sizes:
        secret = Fr.random()
        commitments, shares = vss.deal(secret, t, range(1, n + 1))
        ys = {j: G1.base_mul(s) for j, s in shares.items()}
        key = G2.base_mul(secret)
        parts = [sign_partial(CTX, b"head", j, shares[j]) for j in range(1, t + 1)]
        result, c = _cpu(lambda parts=parts, ys=ys, key=key, t=t: combine(CTX, b"head", parts, ys, t, key))
        ok, v = _cpu(lambda result=result, key=key: bls.verify(key, b"head", result.signature))
        assert ok
        rows.append((t, n, c, v))
        print(f"[bn254] combine {t} of {n}: {c:.3f} s, verify {v:.3f} s", file=sys.stderr)
    return rows


def _dkg_member(n: int, t: int) -> tuple[float, float, float]:
    receivers = list(range(1, n + 1))
    dealt, deal_t = {}, []
    for i in receivers:
        out, dt = _cpu(lambda i=i: sharing.deal(None, t, receivers, CTX, i))
        dealt[i] = out
        deal_t.append(dt)
    wire = {i: d.to_bytes() for i, (d, _) in dealt.items()}
    j = 1
    mine = {i: s[j] for i, (_, s) in dealt.items()}

    def check() -> dict[int, BnDealing]:
        dealings = {i: BnDealing.from_bytes(b) for i, b in wire.items()}
        for i, d in dealings.items():
            sharing.check_dealing(d, t, CTX, i, None)
        assert not vss.find_bad_dealers(j, mine, {i: d.commitments for i, d in dealings.items()})
        return dealings

    dealings, check_t = _cpu(check)

    def output() -> Fr:
        key, bad = sharing.group_key(dealings)
        assert not bad
        weights = {i: Fr(1) for i in receivers}
        out = sharing.public_output(dealings, weights, receivers, key, None)
        return sharing.receiver_share(out, weights, mine, dealings, j)

    _, out_t = _cpu(output)
    return statistics.mean(deal_t), check_t, out_t


def _reshare_member(n: int, t: int) -> tuple[float, float, float]:
    old = list(range(1, n + 1))
    new = list(range(1, n + 1))
    secret = Fr.random()
    _, old_shares = vss.deal(secret, t, old)
    ys = {i: G1.base_mul(s) for i, s in old_shares.items()}
    prev = sharing.BnPrevious(G2.base_mul(secret), G1.base_mul(secret), ys)
    dealt, deal_t = {}, []
    for i in old:
        out, dt = _cpu(lambda i=i: sharing.deal(old_shares[i], t, new, CTX, i))
        dealt[i] = out
        deal_t.append(dt)
    wire = {i: d.to_bytes() for i, (d, _) in dealt.items()}
    j = 1
    mine = {i: s[j] for i, (_, s) in dealt.items()}

    def check() -> dict[int, BnDealing]:
        dealings = {i: BnDealing.from_bytes(b) for i, b in wire.items()}
        for i, d in dealings.items():
            sharing.check_dealing(d, t, CTX, i, prev.verification_shares[i])
        assert not vss.find_bad_dealers(j, mine, {i: d.commitments for i, d in dealings.items()})
        return dealings

    dealings, check_t = _cpu(check)

    def output() -> Fr:
        weights = lagrange_at_zero(old[:t])
        out = sharing.public_output(dealings, weights, new, None, prev)
        return sharing.receiver_share(out, weights, mine, dealings, j)

    _, out_t = _cpu(output)
    return statistics.mean(deal_t), check_t, out_t


def ceremony_rows(ns: tuple[int, ...]) -> list[dict[str, float]]:
    rows = []
    _, p256 = protocol.bench(ns)
    for n, p in zip(ns, p256, strict=True):
        t = (2 * n) // 3 + 1
        dkg, res = _dkg_member(n, t), _reshare_member(n, t)
        rows.append({"n": n, "t": t, "dkg": dkg, "reshare": res,
                     "p256_dkg": p["dkg_cpu"], "p256_reshare": p["reshare_cpu"]})
        print(f"[bn254] n={n}: DKG {sum(dkg):.2f} s ({dkg}), re-share {sum(res):.2f} s ({res})", file=sys.stderr)
    return rows


def _ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def section(quick: bool) -> str:
    ops = micro(quick)
    combos = combine_rows([(3, 5), (11, 16)] if quick else [(3, 5), (11, 16), (43, 64)])
    cer = ceremony_rows((16,) if quick else (16, 64))
    lines = ["## The council signing key (BN254, pure Python)", "",
             "Process time, mean of several calls. The BN254 arithmetic is pure Python (raw integers, "
             "py_ecc for the rest; decision 106); the P-256 figures above use C.", "",
             "| operation | time |", "|---|---|"]
    lines += [f"| {name} | {_ms(v)} |" for name, v in ops]
    lines += ["", "Combining = Lagrange interpolation of t partials plus the one pairing check that proves the "
              "result (partials are checked one by one only if it fails); verify = a BLS check of the combined "
              "signature.", "", "| t of n | combine | verify |", "|---|---|---|"]
    lines += [f"| {t} of {n} | {_ms(c)} | {_ms(v)} |" for t, n, c, v in combos]
    lines += ["", "BN254 sub-dealing CPU per member (deal + check + output, `benchmarks/bn254.py` docstring), "
              "against the whole P-256 ceremony per member measured in this run by `benchmarks/protocol.py` "
              "(re-share: every old member deals, same n and t).", "",
              "| n | t | BN254 DKG (deal / check / output) | P-256 DKG | ratio | BN254 re-share (deal / check / output) "
              "| P-256 re-share | ratio |", "|---|---|---|---|---|---|---|---|"]
    for r in cer:
        d, s = r["dkg"], r["reshare"]
        assert isinstance(d, tuple) and isinstance(s, tuple)
        lines.append(f"| {r['n']} | {r['t']} | {_ms(sum(d))} ({' / '.join(_ms(x) for x in d)}) | "
                     f"{_ms(r['p256_dkg'])} | {sum(d) / r['p256_dkg']:.0f}× | {_ms(sum(s))} "
                     f"({' / '.join(_ms(x) for x in s)}) | {_ms(r['p256_reshare'])} | "
                     f"{sum(s) / r['p256_reshare']:.0f}× |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from benchmarks.section_args import quick_flag

    print(section(quick_flag("benchmarks.bn254", __doc__)))
