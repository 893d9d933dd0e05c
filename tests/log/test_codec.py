"""Log codecs: every kind round-trips byte for byte; non-canonical and damaged bytes are refused."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.attestation.policy_model import Policy
from council.errors import KeycouncilError
from council.log import (
    Entry,
    Kind,
    LogDecodeError,
    LogRecord,
    RecoveryRequested,
    Role,
    RosterProposed,
    decode_body,
    export_log,
    parse_export,
)
from council.log.bodies import DAY_MS, DumpAnnounced, Freeze, PolicyChanged, SealerAdmitted
from council.log.entry import entry_core, entry_digest
from council.log.sim import sample_log

SAMPLE = sample_log()
RECORDS = SAMPLE.records


def test_the_sample_log_has_every_kind() -> None:
    assert {r.entry.kind for r in RECORDS} == set(Kind)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: f"{r.entry.seq}-{r.entry.kind.label}")
def test_each_kind_round_trips(record: LogRecord) -> None:
    body = record.entry.body
    raw = body.encode()
    assert decode_body(body.KIND, raw) == body
    assert decode_body(body.KIND, raw).encode() == raw
    entry_bytes = record.entry.to_bytes()
    parsed = Entry.from_bytes(entry_bytes)
    assert parsed == record.entry and parsed.to_bytes() == entry_bytes
    assert parsed.digest == record.entry.digest == entry_digest(parsed.core)
    record_bytes = record.to_bytes()
    assert LogRecord.from_bytes(record_bytes).to_bytes() == record_bytes


def test_export_round_trips() -> None:
    data = export_log("app-key", RECORDS)
    parsed = parse_export(data)
    assert parsed.key_id == "app-key" and parsed.records == tuple(RECORDS)
    assert export_log(parsed.key_id, parsed.records) == data


def test_trailing_and_truncated_bytes_are_refused() -> None:
    data = RECORDS[3].entry.to_bytes()
    with pytest.raises(LogDecodeError, match="trailing"):
        Entry.from_bytes(data + b"\x00")
    with pytest.raises(LogDecodeError, match="truncated"):
        Entry.from_bytes(data[:-1])
    export = export_log("app-key", RECORDS[:3])
    with pytest.raises(LogDecodeError, match="record 2"):
        parse_export(export[:-5])


def test_unknown_version_kind_and_magic_are_named() -> None:
    data = bytearray(RECORDS[3].entry.to_bytes())
    with pytest.raises(LogDecodeError, match="version 2 is not supported"):
        Entry.from_bytes(bytes(data[:5]) + b"\x02" + bytes(data[6:]))
    key_len = data[46]
    kind_at = 47 + key_len
    data[kind_at] = 99
    with pytest.raises(LogDecodeError, match="unknown kind 99"):
        Entry.from_bytes(bytes(data))
    with pytest.raises(LogDecodeError, match="KCLOG"):
        Entry.from_bytes(b"XXXXX" + bytes(data[5:]))


def test_roster_json_must_be_canonical() -> None:
    roster = SAMPLE.roster
    spaced = json.dumps(roster.to_json(), sort_keys=True).encode()
    body = RosterProposed(roster).encode()
    assert decode_body(Kind.ROSTER_PROPOSED, body).encode() == body
    bad = roster.threshold.to_bytes(2, "big") + len(spaced).to_bytes(4, "big") + spaced
    with pytest.raises(LogDecodeError, match="canonical JSON"):
        decode_body(Kind.ROSTER_PROPOSED, bad)
    wrong_t = (roster.threshold + 1).to_bytes(2, "big") + body[2:]
    with pytest.raises(LogDecodeError, match="differs from the roster"):
        decode_body(Kind.ROSTER_PROPOSED, wrong_t)


def test_policy_json_must_be_canonical() -> None:
    body = PolicyChanged(Policy(allow_simulated=True)).encode()
    raw = json.loads(body[4:])
    spaced = json.dumps(raw, sort_keys=True).encode()
    with pytest.raises(LogDecodeError, match="canonical JSON"):
        decode_body(Kind.POLICY_CHANGED, len(spaced).to_bytes(4, "big") + spaced)


def test_field_rules_name_kind_and_field() -> None:
    digest = bytes(32)
    with pytest.raises(LogDecodeError, match="recovery-requested.expires_unix_ms"):
        RecoveryRequested(bytes(16), "wallet", 1, digest, 1000, 1000 + DAY_MS + 1)
    with pytest.raises(LogDecodeError, match="recovery-requested.expires_unix_ms"):
        RecoveryRequested(bytes(16), "wallet", 1, digest, 1000, 1000)
    assert RecoveryRequested.make(bytes(16), "wallet", 1, digest, 1000).expires_unix_ms == 1000 + 3_600_000
    with pytest.raises(LogDecodeError, match="dump-announced.previous_digest"):
        DumpAnnounced("wallet", 2, digest)
    with pytest.raises(LogDecodeError, match="dump-announced.previous_digest"):
        DumpAnnounced("wallet", 1, digest, digest)
    with pytest.raises(LogDecodeError, match="sealer-admitted.measurement"):
        SealerAdmitted(bytes(32), "sgx", bytes(31), "UpToDate", "sgx-dcap", b"")
    with pytest.raises(LogDecodeError, match="sealer-admitted.tcb_status"):
        SealerAdmitted(bytes(32), "sgx", bytes(32), "Fine", "sgx-dcap", b"")
    with pytest.raises(LogDecodeError, match="recovery-requested.target_key"):
        RecoveryRequested(bytes(16), "wallet", 1, digest, 1000, 2000, target_key=b"\x02" + b"\xff" * 32)
    with pytest.raises(LogDecodeError, match="freeze.after_unix_ms"):
        Freeze(0)


def test_flipping_any_byte_of_an_entry_is_caught() -> None:
    """Every single-byte change either fails to parse, or yields an entry whose checks fail."""
    entry = RECORDS[4].entry
    data = entry.to_bytes()
    for i in range(0, len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0x01
        try:
            parsed = Entry.from_bytes(bytes(damaged))
        except LogDecodeError:
            continue
        assert parsed.to_bytes() == bytes(damaged)
        assert not parsed.author_signature_valid()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_crash_the_parsers(data: bytes) -> None:
    for parse in (Entry.from_bytes, LogRecord.from_bytes, parse_export):
        try:
            parse(data)
        except KeycouncilError:
            pass
    for kind in Kind:
        try:
            decode_body(kind, data)
        except KeycouncilError:
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(RECORDS), st.data())
def test_mutated_records_fail_or_round_trip(record: LogRecord, data: st.DataObject) -> None:
    raw = bytearray(record.to_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(raw) - 3, len(raw)))
    mutated = bytes(raw[:cut])
    try:
        parsed = LogRecord.from_bytes(mutated)
    except KeycouncilError:
        return
    assert parsed.to_bytes() == mutated
    assert LogRecord(parsed.entry, parsed.approvals).to_bytes() == mutated  # encoded again, not the bytes kept


def test_entry_core_layout_matches_the_docs() -> None:
    e = RECORDS[3].entry
    core = e.core
    assert core[:6] == b"KCLOG\x01"
    assert int.from_bytes(core[6:14], "big") == e.seq
    assert core[14:46] == e.previous
    n = core[46]
    assert core[47:47 + n] == e.key_id.encode()
    assert core[47 + n] == Kind.DUMP_ANNOUNCED and core[48 + n] == Role.SEALER
    assert core[49 + n:81 + n] == e.author.public_key
    assert int.from_bytes(core[81 + n:85 + n], "big") == len(core) - 85 - n
    assert core == entry_core(e.seq, e.previous, e.key_id, e.kind, e.author, e.body.encode())


def test_approvals_must_be_sorted_and_distinct() -> None:
    record = RECORDS[1]
    with pytest.raises(LogDecodeError, match="ascending"):
        LogRecord(record.entry, tuple(reversed(record.approvals)))
    with pytest.raises(LogDecodeError, match="ascending"):
        LogRecord(record.entry, (record.approvals[0], record.approvals[0]))
    again = LogRecord.of(record.entry, [*reversed(record.approvals), record.approvals[0]])
    assert again == record
    assert replace(record.approvals[0], anchor=b"\x01" * 64).to_bytes()[-66:-64] == b"\x00\x40"


def test_replacing_a_field_recomputes_core_and_digest() -> None:
    e = RECORDS[3].entry
    edited = replace(e, body=replace(e.body, dump_digest=bytes(32)))  # type: ignore[type-var]
    assert edited.core != e.core and edited.digest != e.digest and not edited.author_signature_valid()
    assert Entry.from_bytes(edited.to_bytes()) == edited
