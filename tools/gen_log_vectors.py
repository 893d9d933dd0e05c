"""Generate tests/vectors/log_vectors.json from a fixed seed (council log test vectors).

Run `python tools/gen_log_vectors.py` to rewrite the file; `--check` fails if it would change.
The vectors are what docs/log-format.md promises an implementer: every kind's body and entry bytes
with digests, an approval with the exact bytes it signs, a valid export with the state it folds
to, and invalid logs with the (sequence number, rule) a verifier must report. An invalid log lists
its records in order: an integer is the record of `entries[i]`, a string is a record's hex. Identities are
test keys derived from the seed; their Ed25519 seeds are included so signatures can be remade.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from council.log import LogRecord, Role, export_log, sign_entry, verify_log  # noqa: E402
from council.log import bodies as b  # noqa: E402
from council.log.sigcheck import APPROVAL_KIND, ENTRY_KIND, framed  # noqa: E402
from council.log.sim import Council, sample_log  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "log_vectors.json"
SEED = b"keycouncil-log-vectors-v1"
KEY = "app-key"


def _identities(c: Council) -> dict[str, dict[str, str]]:
    pools = {**{n: ("member", s) for n, s in c.members.items()}, **{n: ("operator", s) for n, s in c.operators.items()},
             **{n: ("sealer", s) for n, s in c.sealers.items()}}
    return {name: {"role": role, "public_key": s.public_key.hex(), "ed25519_seed": s.seed().hex()}
            for name, (role, s) in sorted(pools.items())}


def _entries(records: list[LogRecord]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        e = r.entry
        out.append({"seq": e.seq, "kind": e.kind.label, "kind_code": int(e.kind), "role": e.author.role.label,
                    "body": e.body.encode().hex(), "body_json": e.body.to_json(), "entry": e.to_bytes().hex(),
                    "digest": e.digest.hex(), "approval_message": e.approval_message.hex(),
                    "record": r.to_bytes().hex()})
    return out


def _approval(c: Council) -> dict[str, Any]:
    r = c.records[1]
    a = r.approvals[0]
    return {"seq": r.entry.seq, "digest": r.entry.digest.hex(), "member_key": a.member_key.hex(),
            "message": r.entry.approval_message.hex(), "signed_bytes": framed(APPROVAL_KIND, r.entry.approval_message).hex(),
            "signature": a.signature.hex(), "bytes": a.to_bytes().hex(),
            "author_signed_bytes": framed(ENTRY_KIND, r.entry.digest).hex(), "author_signature": r.entry.signature.hex()}


def _invalid(c: Council) -> list[dict[str, Any]]:
    recs = list(c.records[:9])
    cases: list[tuple[str, list[LogRecord], int, str]] = []
    edited = bytearray(recs[4].to_bytes())
    body_at = bytes(edited).index(recs[4].entry.body.encode())
    edited[body_at + 20] ^= 0x01  # a byte of the dump digest
    cases.append(("edited body", [*recs[:4], LogRecord.from_bytes(bytes(edited)), *recs[5:]], 4, "entry.signature"))
    cases.append(("removed entry", [*recs[:3], *recs[4:]], 3, "chain.sequence"))
    cases.append(("swapped entries", [*recs[:5], recs[6], recs[5], *recs[7:]], 5, "chain.sequence"))
    a = recs[6].approvals
    forged = LogRecord(recs[6].entry, (a[0], replace(a[1], signature=bytes(64)), *a[2:]))
    cases.append(("forged approval", [*recs[:6], forged, *recs[7:]], 6, "approval.signature"))
    cases.append(("fewer than t approvals", [*recs[:6], LogRecord(recs[6].entry, a[:2]), *recs[7:]], 6, "quorum"))
    fork_a = sign_entry(c.operator(), Role.OPERATOR, KEY, 8, recs[7].entry.digest,
                        b.RosterProposed(c.make_roster(["m1", "m2", "m3"], 2)))
    fork_b = sign_entry(c.operator(), Role.OPERATOR, KEY, 8, recs[7].entry.digest,
                        b.RosterProposed(c.make_roster(["m3", "m4", "m5"], 2)))
    probe = Council.create(KEY, n=5, t=3, seed=SEED)
    cases.append(("fork (m3 approved both)", [*recs[:8], LogRecord.of(fork_a, probe.approvals(fork_a, ["m1", "m2", "m3"])),
                                              LogRecord.of(fork_b, probe.approvals(fork_b, ["m3", "m4", "m5"]))],
                  8, "fork"))
    minority = sign_entry(c.operator(), Role.OPERATOR, KEY, 8, recs[7].entry.digest,
                          b.RosterProposed(c.make_roster(["m1", "m2", "m3", "m4"], 2)))
    cases.append(("roster with t <= n/2", [*recs[:8], LogRecord.of(minority, probe.approvals(minority))], 8,
                  "roster.majority"))
    out = []
    base = {r.to_bytes(): i for i, r in enumerate(c.records)}
    for name, records, seq, rule in cases:
        report = verify_log(records, KEY)
        assert report.failure is not None and (report.failure.seq, report.failure.rule) == (seq, rule), (name, report)
        items: list[int | str] = [base.get(r.to_bytes(), -1) for r in records]
        items = [i if isinstance(i, int) and i >= 0 else r.to_bytes().hex() for i, r in zip(items, records, strict=True)]
        out.append({"name": name, "records": items, "expect": {"seq": seq, "rule": rule},
                    "detail": report.failure.detail})
    return out


def build() -> dict[str, Any]:
    c = sample_log(SEED, KEY)
    report = verify_log(c.records, KEY)
    assert report.ok
    s = c.state
    return {
        "description": "keycouncil council-log vectors; generated by tools/gen_log_vectors.py (docs/log-format.md)",
        "seed": SEED.decode(),
        "identities": _identities(c),
        "entries": _entries(c.records),
        "approval": _approval(c),
        "export": {"key_id": KEY, "header": export_log(KEY, c.records)[:16 + len(KEY)].hex(),
                   "note": "the export file is header ‖ the records of `entries` in order",
                   "sha256": hashlib.sha256(export_log(KEY, c.records)).hexdigest(),
                   "state": {"next_seq": s.next_seq, "head": s.head.hex(), "epoch": s.epoch, "threshold": s.threshold,
                             "roster_digest": s.roster.digest().hex() if s.roster else None,
                             "successor_key_id": s.successor, "retired_seq": s.retired.seq if s.retired else None}},
        "invalid": _invalid(c),
        "majority": [{"t": t, "n": n, "ok": 2 * t > n} for t, n in ((1, 1), (2, 3), (2, 4), (3, 5), (3, 6), (4, 7))],
    }


def main() -> None:
    text = json.dumps(build(), indent=1, sort_keys=True) + "\n"
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            sys.exit(f"{OUT} is out of date: run python tools/gen_log_vectors.py")
        return
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
