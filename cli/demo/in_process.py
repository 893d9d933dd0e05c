"""The in-process protocol demo: DKG among 5, seal a key, re-share to 7 (t = 5), decrypt with 5 new.

No network and no disk: every member is a Participant object and messages are relayed in memory.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from council.crypto import decryption as dec
from council.crypto import kem
from council.crypto.ceremony import Participant
from council.local import (
    LocalMember,
    dkg_spec,
    participants_for,
    reshare_spec,
    roster_of,
    run_phases,
)

Echo = Callable[[str], None]


def _timed(echo: Echo, what: str, step: Callable[[], object]) -> object:
    start = time.perf_counter()
    out = step()
    echo(f"      ({what}: {1000 * (time.perf_counter() - start):.0f} ms)")
    return out


def run_in_process_demo(echo: Echo, n: int = 5, t: int = 3, n2: int = 7, t2: int = 5) -> None:
    """Narrate the protocol end to end; raises if any check fails."""
    echo("keycouncil protocol demo (in-process: no network, no disk)")
    old = [LocalMember.generate(f"member-{i}") for i in range(1, n + 1)]
    echo(f"[1/5] DKG: {n} members each deal a random secret with threshold {t}; nobody learns the sum")
    spec = dkg_spec(roster_of(old, t).committee(), "demo-key")
    ps = participants_for(spec, [], old)
    _timed(echo, "deal, check, judge, output, commit", lambda: run_phases(ps))
    o0 = _receiver(ps).outcome
    assert o0 is not None
    shares0 = {p.receiver_index: p.outcome.share for p in ps if p.outcome and p.outcome.share}
    y = o0.public.public_key
    echo(f"      committed epoch 0 of key 'demo-key'; public key Y = {y.to_bytes().hex()[:24]}…; "
         f"qualified dealers {list(o0.judgement.qualified)}")
    label = b"app=demo version=1"
    echo("[2/5] An app encapsulates a data key to Y (no contact with the council)")
    ct, data_key = kem.encapsulate(y, label)
    echo(f"      R = {ct.r_point.to_bytes().hex()[:24]}…, proof of knowledge of r bound to the label")
    leaving = old[:2]
    new = old[2:] + [LocalMember.generate(f"member-{i}") for i in range(n + 1, n + 1 + n2 - (n - 2))]
    echo(f"[3/5] Re-share epoch 0 → 1: {len(leaving)} members leave, {n2 - (n - 2)} join; "
         f"new committee n = {n2}, t = {t2}")
    spec1 = reshare_spec(roster_of(old, t).committee(), roster_of(new, t2).committee(), "demo-key", o0)
    ps1 = participants_for(spec1, old, new, shares0)
    _timed(echo, "re-share", lambda: run_phases(ps1))
    o1 = _receiver(ps1).outcome
    assert o1 is not None and o1.public.public_key == y
    echo("      public key unchanged; old members now erase their epoch-0 shares")
    shares1 = {p.receiver_index: p.outcome.share for p in ps1 if p.receiver_index and p.outcome and p.outcome.share}
    chosen = sorted(secrets.SystemRandom().sample(sorted(shares1), t2))
    echo(f"[4/5] Full shutdown; new members {chosen} each give a decryption share D_i = x_i·R with a DLEQ proof")
    ctx = dec.DecryptionContext("demo-key", 1, secrets.token_bytes(16))
    ds = [dec.create_share(ctx, ct, label, j, shares1[j]) for j in chosen]
    result = dec.combine(ctx, ct, ds, o1.public.verification_shares, t2)
    recovered = kem.derive_data_key(result.shared_point, ct.r_point, y, label)
    echo(f"[5/5] Combined {len(result.used)} verified shares: data key "
         f"{'MATCHES' if recovered == data_key else 'DIFFERS'} the one the app derived")
    if recovered != data_key:
        raise SystemExit("demo failed: recovered key differs")
    echo("done: the key was never in one place, yet the data key came back after the committee changed")


def _receiver(ps: list[Participant]) -> Participant:
    return next(p for p in ps if p.receiver_index is not None and p.outcome and p.outcome.share)
