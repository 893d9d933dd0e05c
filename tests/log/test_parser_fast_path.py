"""The record parser's fast path (approvals without an anchor read in one piece) and the direct
`entry_core` give exactly what the field-by-field codec gives: the same values, the same bytes,
the same error for every damaged or truncated record (decision 118)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.log import Entry, LogDecodeError, LogRecord
from council.log.entry import (
    KEY_LEN,
    MAX_ANCHOR,
    MAX_BODY,
    MAX_ENTRY,
    SIG_LEN,
    Approval,
    Author,
    entry_core,
)
from council.log.kinds import Kind, Role
from council.log.sim import busy_log, sample_log
from council.log.wire import Reader, Writer

ENTRIES = [r.entry for r in sample_log().records] + [r.entry for r in busy_log(120, 5, 3).records[-6:]]


def _reference_record(r: Reader) -> LogRecord:
    """The record codec before the fast path: every approval read field by field."""
    entry = Entry.from_bytes(r.var(4, MAX_ENTRY, "entry"))
    count = r.uint(2, "approval_count")
    return LogRecord(entry, tuple(Approval(r.take(KEY_LEN, "member_key"), r.take(SIG_LEN, "signature"),
                                           r.var(2, MAX_ANCHOR, "anchor")) for _ in range(count)))


def _outcome(parse: object, data: bytes) -> object:
    r = Reader(data, "record")
    try:
        record = parse(r)  # type: ignore[operator]
        r.end()
    except LogDecodeError as exc:
        return ("error", str(exc))
    return record


def _parse_new(r: Reader) -> LogRecord:
    from council.log.entry import read_record

    return read_record(r)


approvals = st.lists(st.tuples(st.binary(min_size=KEY_LEN, max_size=KEY_LEN),
                               st.binary(min_size=SIG_LEN, max_size=SIG_LEN),
                               st.one_of(st.just(b""), st.binary(max_size=40), st.binary(min_size=256, max_size=300))),
                     max_size=5, unique_by=lambda a: a[0])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ENTRIES), approvals, st.data())
def test_fast_path_parses_as_the_field_codec(entry: Entry, raw: list[tuple[bytes, bytes, bytes]],
                                             data: st.DataObject) -> None:
    record = LogRecord.of(entry, [Approval(k, s, a) for k, s, a in raw])
    good = record.to_bytes()
    assert _outcome(_parse_new, good) == _outcome(_reference_record, good) == record
    damaged = bytearray(good)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(max(0, len(damaged) - 120 * (len(raw) + 1)), len(damaged) - 1))
        damaged[at] = data.draw(st.sampled_from([0, 1, 255, data.draw(st.integers(0, 255))]))
    cut = data.draw(st.integers(0, len(damaged)))
    for sample in (bytes(damaged), bytes(damaged[:cut]), bytes(damaged) + data.draw(st.binary(max_size=3))):
        assert _outcome(_parse_new, sample) == _outcome(_reference_record, sample)


def test_an_anchor_whose_length_ends_in_zero_is_not_taken_for_none() -> None:
    entry = ENTRIES[0]
    record = LogRecord.of(entry, [Approval(b"\x01" * 32, b"\x02" * 64, b"\x07" * 256)])  # length 0x0100
    assert LogRecord.from_bytes(record.to_bytes()) == record
    assert LogRecord.from_bytes(record.to_bytes()).approvals[0].anchor == b"\x07" * 256


def _writer_core(seq: int, previous: bytes, key_id: str, kind: Kind, author: Author, body: bytes) -> bytes:
    return (Writer().raw(b"KCLOG").uint(1, 1).uint(seq, 8).fixed(previous, 32).text(key_id, 1, 64).uint(kind, 1)
            .uint(author.role, 1).fixed(author.public_key, 32).var(body, 4, MAX_BODY).getvalue())


@given(st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32), st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
       st.sampled_from(list(Kind)), st.sampled_from(list(Role)), st.binary(min_size=32, max_size=32), st.binary(max_size=200))
def test_entry_core_is_the_writer_encoding(seq: int, previous: bytes, key_id: str, kind: Kind, role: Role,
                                           key: bytes, body: bytes) -> None:
    author = Author(role, key)
    assert entry_core(seq, previous, key_id, kind, author, body) == _writer_core(seq, previous, key_id, kind, author, body)


def test_entry_core_refuses_what_does_not_fit() -> None:
    author = Author(Role.OPERATOR, bytes(32))
    for seq, previous, key_id, a in ((-1, bytes(32), "k", author), (2**64, bytes(32), "k", author),
                                     (0, bytes(31), "k", author), (0, bytes(32), "k" * 65, author),
                                     (0, bytes(32), "k", Author(Role.OPERATOR, bytes(33)))):
        with pytest.raises(ValueError):
            entry_core(seq, previous, key_id, Kind.FREEZE, a, b"")


def test_a_parsed_record_keeps_exactly_its_bytes() -> None:
    for record in [*sample_log().records, *busy_log(60, 5, 3).records]:
        data = record.to_bytes()
        parsed = LogRecord.from_bytes(data)
        assert parsed.to_bytes() is not None and parsed.to_bytes() == data
        assert LogRecord(parsed.entry, parsed.approvals).to_bytes() == data  # the codec, not the kept copy
