"""Peers side by side, each measured in this run at the same n and t = ⌊2n/3⌋+1.

1. Ferveo (`nucypher_core.ferveo`, the DKG and threshold decryption of Threshold Network's TACo)
   against keycouncil's DKG (`Participant.deal/check/output`) and threshold decryption
   (`decryption.create_share/combine`).
2. Plain Shamir secret sharing (shamir-mnemonic's SLIP-39, pycryptodome's `Shamir`) against our
   Feldman `vss.deal` and Lagrange reconstruction.

Every figure is the CPU time of this process (`time.process_time`, which counts every thread; the
Ferveo wheel turned out single-threaded), median over several calls. `section(quick)` returns the
Markdown appended to docs/performance.md by `benchmarks.run`; run this module to print it alone.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from benchmarks import limits
from benchmarks.machine import describe

REPEAT = 7          # repetitions of the steps measured once per committee (aggregate, combine, …)
REPEAT_QUICK = 3
SHAMIR_REPEAT = 31
TAU = 1
AAD = b"keycouncil-bench"
MESSAGE = bytes(32)  # Ferveo encrypts a 32-byte payload (a data key), like our KEM derives one


def threshold(n: int) -> int:
    return (2 * n) // 3 + 1


def _cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def _median_cpu(fn: Callable[[], Any], repeat: int) -> float:
    return statistics.median(_cpu(fn)[1] for _ in range(repeat))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown version"


def _t(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 10:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.1f} s"


def _ratio(ours: float | None, peer: float | None) -> str:
    if ours is None or peer is None or peer <= 0:
        return "—"
    r = ours / peer
    if r >= 10:
        return f"{r:.0f}"
    return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


# --- Ferveo ----------------------------------------------------------------------------------


@dataclass
class FerveoRun:
    n: int
    t: int
    deal: float          # Dkg.generate_transcript, median over the n dealers
    aggregate: float     # Dkg.aggregate_transcripts(all n), median over REPEAT members
    verify: float        # AggregatedTranscript.verify(n, all n), median over REPEAT
    share: float         # create_decryption_share_simple, median over t members
    combine: float       # combine_decryption_shares_simple(t) + decrypt_with_shared_secret


def ferveo_run(n: int, t: int, repeat: int) -> FerveoRun:
    from nucypher_core import ferveo as fv

    keypairs = [fv.Keypair.random() for _ in range(n)]
    validators = [fv.Validator(f"0x{i:040x}", kp.public_key(), i) for i, kp in enumerate(keypairs)]
    dkgs = [fv.Dkg(TAU, n, t, validators, v) for v in validators]
    messages, deal_t = [], []
    for v, dkg in zip(validators, dkgs, strict=True):
        transcript, dt = _cpu(dkg.generate_transcript)
        deal_t.append(dt)
        messages.append(fv.ValidatorMessage(v, transcript))
    agg_t = []
    aggregate = None
    for dkg in dkgs[:repeat]:                     # each member aggregates with its own Dkg
        aggregate, dt = _cpu(lambda dkg=dkg: dkg.aggregate_transcripts(messages))
        agg_t.append(dt)
    assert aggregate is not None
    verify_t = []
    for _ in range(repeat):
        ok, dt = _cpu(lambda: aggregate.verify(n, messages))
        if not ok:
            raise RuntimeError("Ferveo refused its own aggregate")
        verify_t.append(dt)
    ciphertext = fv.encrypt(MESSAGE, AAD, aggregate.public_key)
    shares, share_t = [], []
    for dkg, kp in list(zip(dkgs, keypairs, strict=True))[:t]:
        share, dt = _cpu(lambda dkg=dkg, kp=kp: aggregate.create_decryption_share_simple(
            dkg, ciphertext.header, AAD, kp))
        shares.append(share)
        share_t.append(dt)

    def combine() -> bytes:
        secret = fv.combine_decryption_shares_simple(shares)
        return bytes(fv.decrypt_with_shared_secret(ciphertext, AAD, secret))

    if combine() != MESSAGE:
        raise RuntimeError("Ferveo decrypted the wrong message")
    return FerveoRun(n, t, statistics.median(deal_t), statistics.median(agg_t),
                     statistics.median(verify_t), statistics.median(share_t),
                     _median_cpu(combine, repeat))


def ferveo_constraints() -> list[str]:
    """Probe the parameter checks of the installed Ferveo on a tiny committee (n = 5)."""
    from nucypher_core import ferveo as fv

    notes = []
    n = 5
    kps = [fv.Keypair.random() for _ in range(n)]
    vals = [fv.Validator(f"0x{i:040x}", kp.public_key(), i) for i, kp in enumerate(kps)]
    for t in (0, n + 1):
        try:
            fv.Dkg(TAU, n, t, vals, vals[0])
            notes.append(f"t = {t} with n = {n}: accepted")
        except Exception as exc:  # noqa: BLE001  (whatever Ferveo raises is the finding)
            notes.append(f"t = {t} with n = {n}: refused ({type(exc).__name__}: {exc})")
    t = 4
    try:
        msgs = [fv.ValidatorMessage(v, fv.Dkg(TAU, n, t, vals, v).generate_transcript()) for v in vals]
        dkg = fv.Dkg(TAU, n, t, vals, vals[0])
        agg = dkg.aggregate_transcripts(msgs)
        ct = fv.encrypt(MESSAGE, AAD, agg.public_key)
        ds = [agg.create_decryption_share_simple(fv.Dkg(TAU, n, t, vals, v), ct.header, AAD, kp)
              for v, kp in list(zip(vals, kps, strict=True))[1:t + 1]]
        out = bytes(fv.decrypt_with_shared_secret(ct, AAD, fv.combine_decryption_shares_simple(ds)))
        notes.append(f"n = {n} (not a power of two), t = {t}, any {t} shares (members 2..{t + 1}): "
                     + ("decrypts" if out == MESSAGE else "WRONG plaintext"))
        try:
            few = dkg.aggregate_transcripts(msgs[: t - 1])
            notes.append(f"aggregating only t − 1 = {t - 1} transcripts: accepted by the library "
                         f"(verify: {few.verify(n, msgs[: t - 1])}): any minimum must be enforced outside the library")
        except Exception as exc:  # noqa: BLE001
            notes.append(f"aggregating only t − 1 transcripts: refused ({type(exc).__name__})")
    except Exception as exc:  # noqa: BLE001
        notes.append(f"n = {n}, t = {t}: could not run ({type(exc).__name__}: {exc})")
    return notes


# --- keycouncil, same n and t ------------------------------------------------------------------


@dataclass
class OursRun:
    n: int
    t: int
    deal: float          # Participant.deal, median over the n dealers
    check: float         # Participant.check(all n dealings), median over the n receivers
    output: float        # Participant.output(all n responses), median over t receivers
    share: float         # decryption.create_share, median over t members
    combine: float       # decryption.combine(t shares, verifies t DLEQ proofs in one batch) + HKDF
    combine_plain: float  # Lagrange Σ λ_i·D_i over the same t shares + HKDF (no verification)
    combine_each: float = 0.0  # verify_share on each of the t shares, then the same Σ λ_i·D_i + HKDF


def ours_run(n: int, t: int, repeat: int) -> OursRun:
    from council.crypto import decryption as dec
    from council.crypto import kem
    from council.local import LocalMember, dkg_spec, participants_for, roster_of

    members = [LocalMember.generate(f"m{i}") for i in range(n)]
    spec = dkg_spec(roster_of(members, t).committee(), "bench-peers")
    ps = participants_for(spec, [], members)
    dealings, deal_t = [], []
    for p in ps:
        m, dt = _cpu(p.deal)
        deal_t.append(dt)
        dealings.append(m)
    responses, check_t = [], []
    for p in ps:
        m, dt = _cpu(lambda p=p: p.check(dealings))
        check_t.append(dt)
        responses.append(m)
    out_t = []
    receivers = sorted(ps, key=lambda p: p.receiver_index or 0)[:t]
    for p in receivers:
        _, dt = _cpu(lambda p=p: p.output(responses))
        out_t.append(dt)
    outcome = receivers[0].outcome
    assert outcome is not None
    shares = {p.receiver_index: p.outcome.share for p in receivers if p.outcome and p.outcome.share}
    if len(shares) != t:
        raise RuntimeError(f"only {len(shares)} of {t} receivers got a share")
    y = outcome.public.public_key
    label = b"bench-peers-label"
    ct, key = kem.encapsulate(y, label)
    ctx = dec.DecryptionContext("bench-peers", outcome.commit.epoch, b"request")
    ds, share_t = [], []
    for j, x in sorted(shares.items()):
        d, dt = _cpu(lambda j=j, x=x: dec.create_share(ctx, ct, label, j, x))
        ds.append(d)
        share_t.append(dt)

    def combine() -> bytes:
        res = dec.combine(ctx, ct, ds, outcome.public.verification_shares, t)
        return kem.derive_data_key(res.shared_point, ct.r_point, y, label)

    def combine_plain() -> bytes:
        return kem.derive_data_key(dec.combine_unverified(ds), ct.r_point, y, label)

    def combine_each() -> bytes:
        for s in ds:
            dec.verify_share(ctx, ct, s, outcome.public.verification_shares[s.index])
        return combine_plain()

    if combine() != key or combine_plain() != key or combine_each() != key:
        raise RuntimeError("keycouncil derived the wrong data key")
    return OursRun(n, t, statistics.median(deal_t), statistics.median(check_t),
                   statistics.median(out_t), statistics.median(share_t),
                   _median_cpu(combine, repeat), _median_cpu(combine_plain, repeat),
                   _median_cpu(combine_each, repeat))


# --- Shamir ----------------------------------------------------------------------------------


@dataclass
class ShamirRow:
    name: str
    secret: str
    split: float | None
    combine: float | None
    is_ours: bool = False


@dataclass
class ShamirRun:
    n: int
    t: int
    rows: list[ShamirRow] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def shamir_run(n: int, t: int, repeat: int) -> ShamirRun:
    from council.crypto import vss
    from council.crypto.group import Q, Scalar
    from council.crypto.lagrange import lagrange_at_zero

    run = ShamirRun(n, t)
    secret = Scalar.random()
    commitments, shares = vss.deal(secret, t, range(1, n + 1))
    first = {j: shares[j] for j in range(1, t + 1)}

    def ours_combine() -> Scalar:
        lam = lagrange_at_zero(first)
        return Scalar(sum(lam[j].value * s.value for j, s in first.items()) % Q)

    def ours_combine_checked() -> Scalar:
        if not all(vss.share_is_valid(j, s, commitments) for j, s in first.items()):
            raise RuntimeError("Feldman check failed")
        return ours_combine()

    assert ours_combine() == secret and ours_combine_checked() == secret
    run.rows.append(ShamirRow("(a) keycouncil Feldman", "P-256 scalar (32 B)",
                              _median_cpu(lambda: vss.deal(secret, t, range(1, n + 1)), repeat),
                              _median_cpu(ours_combine, repeat), is_ours=True))
    run.rows.append(ShamirRow("(b) keycouncil, no commitments / checked combine",
                              "P-256 scalar (32 B)",
                              _median_cpu(lambda: [vss.evaluate(c, j) for c in
                                                   [vss.random_polynomial(secret, t)]
                                                   for j in range(1, n + 1)], repeat),
                              _median_cpu(ours_combine_checked, repeat), is_ours=True))
    try:
        import shamir_mnemonic as sm
        from shamir_mnemonic import shamir as sm_core
        master = secrets.token_bytes(32)
        mnemonics = sm.generate_mnemonics(1, [(t, n)], master, iteration_exponent=0)[0]
        assert sm.combine_mnemonics(mnemonics[:t]) == master
        run.rows.append(ShamirRow(
            "(c) SLIP-39 full (shamir-mnemonic)",
            "32 B", _median_cpu(lambda: sm.generate_mnemonics(1, [(t, n)], master,
                                                              iteration_exponent=0), repeat),
            _median_cpu(lambda: sm.combine_mnemonics(mnemonics[:t]), repeat)))
        ems = sm_core.EncryptedMasterSecret.from_master_secret(master, b"", 1234, True, 0)
        group = sm_core.split_ems(1, [(t, n)], ems)[0]

        def core_combine() -> bytes:
            g = sm_core.ShareGroup()
            for s in group[:t]:
                g.add(s)
            return sm_core.recover_ems({group[0].group_index: g}).ciphertext

        assert core_combine() == ems.ciphertext
        run.rows.append(ShamirRow(
            "(d) SLIP-39 core (shamir-mnemonic)", "32 B",
            _median_cpu(lambda: sm_core.split_ems(1, [(t, n)], ems), repeat),
            _median_cpu(core_combine, repeat)))
    except ImportError as exc:
        run.missing.append(f"shamir-mnemonic could not be imported ({exc}); not measured.")
    except Exception as exc:  # noqa: BLE001
        run.missing.append(f"shamir-mnemonic could not run at n = {n}, t = {t}: "
                           f"{type(exc).__name__}: {exc}")
    try:
        from Crypto.Protocol.SecretSharing import Shamir
        s16 = secrets.token_bytes(16)
        pieces = Shamir.split(t, n, s16)
        assert Shamir.combine(pieces[:t]) == s16
        run.rows.append(ShamirRow(
            "(e) pycryptodome `Shamir`",
            "16 B", _median_cpu(lambda: Shamir.split(t, n, s16), repeat),
            _median_cpu(lambda: Shamir.combine(pieces[:t]), repeat)))
    except ImportError as exc:
        run.missing.append(f"pycryptodome's Shamir could not be imported ({exc}); not measured.")
    except Exception as exc:  # noqa: BLE001
        run.missing.append(f"pycryptodome's Shamir could not run at n = {n}, t = {t}: "
                           f"{type(exc).__name__}: {exc}")
    return run


# --- Markdown --------------------------------------------------------------------------------


def _ferveo_part(ns: tuple[int, ...], repeat: int) -> list[str]:
    lines = ["### Ferveo (TACo) and keycouncil: DKG and threshold decryption, per member", ""]
    notes: list[str] = []
    constraints: list[str] = []
    fruns: dict[int, FerveoRun | None] = {n: None for n in ns}
    try:
        import nucypher_core.ferveo  # noqa: F401
    except ImportError as exc:
        lines += [f"Ferveo was not measured: `nucypher_core` could not be imported ({exc}). "
                  "Install it with `pip install 'nucypher-core>=0.16,<0.17'`.", ""]
    else:
        for n in ns:
            try:
                fruns[n] = ferveo_run(n, threshold(n), repeat)
            except Exception as exc:  # noqa: BLE001
                fruns[n] = None
                notes.append(f"Ferveo could not run at n = {n}, t = {threshold(n)}: "
                             f"{type(exc).__name__}: {exc}")
        try:
            constraints = ferveo_constraints()
        except Exception as exc:  # noqa: BLE001
            constraints = [f"probe failed: {type(exc).__name__}: {exc}"]
        lines += [f"Ferveo: `nucypher-core` {_version('nucypher-core')} (Rust, arkworks, BLS12-381 "
                  "with pairings). keycouncil: Python over pycryptodome's P-256, no pairings. "
                  "Both run in this process, one call at a time, CPU time; Ferveo's "
                  "Simple variant (any t of n shares combine). Below 1 in the last column: "
                  "keycouncil used less CPU. "
                  f"Medians: dealing over the n dealers, decryption share over t members, "
                  f"aggregate/verify/combine over {repeat} calls; our check over the n members, "
                  "our output over t members.", ""]
    ours: dict[int, OursRun | None] = {}
    for n in ns:
        try:
            ours[n] = ours_run(n, threshold(n), repeat)
        except Exception as exc:  # noqa: BLE001
            ours[n] = None
            notes.append(f"keycouncil could not run at n = {n}: {type(exc).__name__}: {exc}")
    lines += ["| n | t | step | Ferveo | keycouncil | ours / Ferveo |", "|---|---|---|---|---|---|"]
    for n in ns:
        f, o = fruns.get(n), ours.get(n)
        t = threshold(n)

        def row(step: str, fv: float | None, us: float | None) -> str:
            return f"| {n} | {t} | {step} | {_t(fv)} | {_t(us)} | {_ratio(us, fv)} |"  # noqa: B023

        f_verify_all = f.aggregate + f.verify if f else None
        o_verify_all = o.check + o.output if o else None
        if o and n == 64:
            limits.record(f"combine t = {t} decryption shares, verifying every proof (batched; culprits "
                          f"named on failure), unverified: {o.combine_plain * 1000:.1f} ms", o.combine, 0.020, "s",
                          source="Peers side by side (E)")
        lines += [
            row("deal one transcript (A)", f.deal if f else None, o.deal if o else None),
            row("verify all n dealings, part 1 (B)", f.aggregate if f else None, o.check if o else None),
            row("verify all n dealings, part 2 (C)", f.verify if f else None, o.output if o else None),
            row("**DKG total per member** (A + B + C)",
                f.deal + f_verify_all if f and f_verify_all else None,
                o.deal + o_verify_all if o and o_verify_all else None),
            row("create one decryption share (D)", f.share if f else None, o.share if o else None),
            f"| {n} | {t} | combine {t} shares + decrypt, **verifying every share, batched** (E) | "
            f"not offered | {_t(o.combine if o else None)} | "
            f"{_ratio(o.combine if o else None, f.combine if f else None)}"
            f"{' (vs Ferveo F)' if f and o else ''} |",
            f"| {n} | {t} | combine {t} shares + decrypt, verifying each share one by one (E1) | "
            f"not offered | {_t(o.combine_each if o else None)} | "
            f"{_ratio(o.combine_each if o else None, f.combine if f else None)}"
            f"{' (vs Ferveo F)' if f and o else ''} |",
            row(f"combine {t} shares + decrypt, no share verification (F)",
                f.combine if f else None, o.combine_plain if o else None),
        ]
    lines += [
        "",
        "What each row includes:",
        "",
        "- (A) Ferveo `Dkg.generate_transcript`: t G1 commitments, n G2 blinded shares, a G2 proof "
        "of knowledge. Ours `Participant.deal`: t commitments, Schnorr proof of knowledge, n shares "
        "ECIES-encrypted to each member, Ed25519 signature.",
        "- (B) Ferveo `Dkg.aggregate_transcripts(n transcripts)`: the *optimistic* check of each "
        "transcript (2 pairings on its proof of knowledge, not the shares) and their sum. Ours "
        "`Participant.check`: signature and proof of knowledge of every dealing, decrypting own n "
        "shares and checking their sum against the summed commitments (complaints only if that fails).",
        "- (C) Ferveo `AggregatedTranscript.verify(n, transcripts)`: the full check of the aggregate, "
        "FFT of the commitments and 2 pairings per member (every member's blinded share), plus the "
        "sum of constant terms. Ours `Participant.output`: judging the transcript and complaints, "
        "the public key and every member's verification share Y_j, own share, signed commit. "
        "B + C is, on each side, what a member does to accept the key from all n dealings.",
        "- (D) Ferveo `create_decryption_share_simple`: checks the ciphertext (hash to G2, a product "
        "of 2 pairings), then one pairing, plus a checksum point dk_i⁻¹·U that would let a combiner "
        "verify the share (4 more pairings; not exposed in the Python API). Ours `decryption.create_share`: "
        "checks the KEM ciphertext's Schnorr proof for the label, then D_i = x_i·R with a DLEQ proof.",
        "- (E) Ours `decryption.combine`: verifies the DLEQ proofs of all t shares with one random "
        "linear combination and one multi-scalar multiplication (decisions.md, batch verification; "
        "one by one only if that fails, to name culprits), Lagrange-combines, then HKDF derives the "
        "data key. (E1) the same with `verify_share` on each share in turn. Ferveo's Python API has no "
        "share verification (`combine_decryption_shares_simple` raises the shares to their Lagrange "
        "coefficients without checking them; a bad share gives a wrong secret, caught only when the "
        "AEAD decryption fails, without naming the culprit), so E's ratio is against Ferveo's unverified F.",
        "- (F) Like for like: Ferveo `combine_decryption_shares_simple` + `decrypt_with_shared_secret` "
        "(t exponentiations in the pairing target group; then the ciphertext check again, hash to G2 "
        "and 2 pairings, and ChaCha20-Poly1305 on the 32-byte payload); ours the same Lagrange sum "
        "Σ λ_i·D_i over the t shares, unverified, + HKDF (our KEM proof is checked by the members, "
        "in D, not again here).",
        "",
    ]
    big = fruns.get(64)
    if big:
        lines += ["Sanity check against targets.md (Ferveo at n = 64, t = 43 measured earlier on "
                  f"this machine): dealing {_t(big.deal)} here vs 263 ms, aggregate {_t(big.aggregate)} "
                  f"vs 183 ms, decryption share {_t(big.share)} vs about 6 ms, combining 43 shares "
                  f"(+ decrypting) {_t(big.combine)} vs 67 ms.", ""]
    if constraints or notes:
        lines += ["Ferveo's parameter constraints (the library checks only 1 ≤ t ≤ shares_num; n "
                  "need not be a power of two in this version; the Precomputed variant instead needs "
                  "exactly the set of members chosen before the shares are made). Probed in this run:", ""]
        lines += [f"- {c}" for c in constraints + notes]
        lines.append("")
    return lines


def _shamir_part(ns: tuple[int, ...], repeat: int) -> list[str]:
    lines = ["### Shamir split and combine: SLIP-39 and pycryptodome against our Feldman VSS", "",
             "One group, t of n (SLIP-39 allows at most 16 members per group). Split = all n shares; "
             f"combine = from the first t shares. Median of {repeat} calls, CPU time. Ratios compare "
             "row (a), what keycouncil uses, with each peer row (below 1: ours is cheaper).", "",
             "- (a) keycouncil `vss.deal` (random polynomial, n evaluations and t commitments a_k·G) / "
             "`lagrange_at_zero` and Σ λ_j·s_j mod q over t shares.",
             "- (b) keycouncil without the commitments (`random_polynomial` + `evaluate`: plain Shamir "
             "over Z_q) / a combine that first Feldman-checks each of the t shares against the commitments.",
             f"- (c) shamir-mnemonic {_version('shamir-mnemonic')} `generate_mnemonics`/`combine_mnemonics`: "
             "SLIP-39 with its PBKDF2 encryption of the master secret at iteration exponent 0 (the "
             "minimum; the default is 1, twice the cost), GF(256) Shamir, digest share, mnemonic words.",
             "- (d) shamir-mnemonic core only: `split_ems`/`recover_ems` (GF(256) Shamir and the digest "
             "share; no PBKDF2, no words).",
             f"- (e) pycryptodome {_version('pycryptodome')} `Crypto.Protocol.SecretSharing.Shamir` "
             "`split`/`combine` over GF(2^128); secrets of 16 bytes only.", "",
             "| n | t | implementation | secret | split | combine | split ours / peer | combine ours / peer |",
             "|---|---|---|---|---|---|---|---|"]
    missing: list[str] = []
    for n in ns:
        run = shamir_run(n, threshold(n), repeat)
        ref = run.rows[0]
        for r in run.rows:
            ratios = ("—", "—") if r.is_ours else (_ratio(ref.split, r.split), _ratio(ref.combine, r.combine))
            lines.append(f"| {n} | {run.t} | {r.name} | {r.secret} | {_t(r.split)} | {_t(r.combine)} | "
                         f"{ratios[0]} | {ratios[1]} |")
        missing += [m for m in run.missing if m not in missing]
    lines.append("")
    lines += [f"- {m}" for m in missing] + ([""] if missing else [])
    lines += ["Our split does more than plain Shamir: its t commitments a_k·G (fixed-base "
              "multiplications) are what let every member check its share, and they are nearly all "
              "of its cost (compare (b)). SLIP-39's full figures are dominated by its PBKDF2 "
              "encryption of the master secret, even at the minimum iteration exponent.", ""]
    return lines


def section(quick: bool = False) -> str:
    ns = (4,) if quick else (4, 16, 64)
    shamir_ns = (4,) if quick else (4, 8, 16)
    repeat = REPEAT_QUICK if quick else REPEAT
    start = time.perf_counter()
    parts = ["## Peers side by side (one run, same n and t = ⌊2n/3⌋+1)", "",
             f"Machine: {describe()}.", ""]
    parts += _ferveo_part(ns, repeat)
    parts += _shamir_part(shamir_ns, SHAMIR_REPEAT if not quick else 5)
    parts.append(f"This section took {time.perf_counter() - start:.0f} s of wall time.")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    from benchmarks.section_args import quick_flag

    print(section(quick_flag("benchmarks.peers", __doc__)))
