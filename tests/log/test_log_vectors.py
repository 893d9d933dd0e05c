"""Log test vectors: the checked-in file matches the generator, and every vector re-verifies."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from council.log import Entry, Kind, LogRecord, decode_body, parse_export, verify_log

ROOT = Path(__file__).resolve().parents[2]
V = json.loads((ROOT / "tests" / "vectors" / "log_vectors.json").read_text())
h = bytes.fromhex


def test_generator_reproduces_the_file() -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_log_vectors.py"), "--check"], check=True, timeout=120)


def test_every_kind_is_covered() -> None:
    assert {e["kind"] for e in V["entries"]} == {k.label for k in Kind}


def test_entries_round_trip_and_digest() -> None:
    for v in V["entries"]:
        entry = Entry.from_bytes(h(v["entry"]))
        assert entry.to_bytes().hex() == v["entry"] and entry.digest.hex() == v["digest"]
        assert (entry.seq, entry.kind.label, int(entry.kind)) == (v["seq"], v["kind"], v["kind_code"])
        body = decode_body(entry.kind, h(v["body"]))
        assert body == entry.body and json.loads(json.dumps(body.to_json())) == v["body_json"]
        assert hashlib.sha256(b"KEYCOUNCIL-V1-LOG-ENTRY\x00" + entry.core).hexdigest() == v["digest"]
        assert entry.approval_message.hex() == v["approval_message"]
        assert LogRecord.from_bytes(h(v["record"])).to_bytes().hex() == v["record"]


def test_signatures_verify_with_a_second_implementation() -> None:
    """OpenSSL (cryptography) agrees with the log's libsodium check on the documented bytes."""
    a = V["approval"]
    Ed25519PublicKey.from_public_bytes(h(a["member_key"])).verify(h(a["signature"]), h(a["signed_bytes"]))
    assert h(a["signed_bytes"]) == b"KEYCOUNCIL-V1-SIG-log-approval\x00" + h(a["message"])
    assert h(a["author_signed_bytes"]) == b"KEYCOUNCIL-V1-SIG-log-entry\x00" + h(a["digest"])
    author = Entry.from_bytes(h(V["entries"][a["seq"]]["entry"])).author.public_key
    Ed25519PublicKey.from_public_bytes(author).verify(h(a["author_signature"]), h(a["author_signed_bytes"]))


def _export(records: list[bytes]) -> bytes:
    key = V["export"]["key_id"].encode()
    return b"KCLOGX\x01" + bytes([len(key)]) + key + len(records).to_bytes(8, "big") + b"".join(records)


def test_the_valid_export_folds_to_the_stated_state() -> None:
    data = _export([h(e["record"]) for e in V["entries"]])
    assert data.startswith(h(V["export"]["header"])) and hashlib.sha256(data).hexdigest() == V["export"]["sha256"]
    report = verify_log(parse_export(data).records, V["export"]["key_id"])
    assert report.ok
    s, want = report.state, V["export"]["state"]
    assert (s.next_seq, s.head.hex(), s.epoch, s.threshold, s.successor) == (
        want["next_seq"], want["head"], want["epoch"], want["threshold"], want["successor_key_id"])
    assert s.roster is not None and s.roster.digest().hex() == want["roster_digest"]
    assert s.retired is not None and s.retired.seq == want["retired_seq"]


def test_invalid_logs_fail_at_the_stated_entry_and_rule() -> None:
    for case in V["invalid"]:
        records = [h(V["entries"][i]["record"]) if isinstance(i, int) else h(i) for i in case["records"]]
        report = verify_log(parse_export(_export(records)).records, V["export"]["key_id"])
        assert report.failure is not None, case["name"]
        assert {"seq": report.failure.seq, "rule": report.failure.rule} == case["expect"], case["name"]
