"""The export file of a whole log (`keycouncil log export -o FILE`, `log verify FILE`).

    magic "KCLOGX" ‖ version 0x01 ‖ u8-length key id ‖ u64 record count ‖ records

Records (entry ‖ approvals, docs/log-format.md, "Record") follow in the order exported: sequence
order, and a fork's rival entries side by side. Parsing is strict (no trailing bytes), so
`parse_export(export_log(...))` and `export_log(parse_export(...))` are identities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from council.log.entry import LogRecord, read_record
from council.log.errors import LogDecodeError
from council.log.wire import Reader, Writer, is_valid_key_id

EXPORT_MAGIC: Final = b"KCLOGX"
EXPORT_VERSION: Final = 1


@dataclass(frozen=True)
class LogExport:
    """A key id and its records, as read from an export file."""

    key_id: str
    records: tuple[LogRecord, ...]


def export_log(key_id: str, records: Iterable[LogRecord]) -> bytes:
    """The export file's bytes for `records` of `key_id`."""
    if not is_valid_key_id(key_id):
        raise ValueError(f"invalid key id {key_id!r}")
    items = list(records)
    w = Writer().raw(EXPORT_MAGIC).uint(EXPORT_VERSION, 1).text(key_id, 1, 64).uint(len(items), 8)
    for record in items:
        w.raw(record.to_bytes())
    return w.getvalue()


def parse_export(data: bytes, source: str = "log export") -> LogExport:
    """Parse an export file; LogDecodeError naming `source`, the record and the field otherwise."""
    r = Reader(data, source)
    if r.take(len(EXPORT_MAGIC), "magic") != EXPORT_MAGIC:
        raise r.fail("magic", "not a keycouncil log export (expected 'KCLOGX')")
    version = r.uint(1, "version")
    if version != EXPORT_VERSION:
        raise r.fail("version", f"export version {version} is not supported (this reader knows {EXPORT_VERSION})")
    key_id = r.text(1, 64, "key_id")
    if not is_valid_key_id(key_id):
        raise r.fail("key_id", f"{key_id!r} is not a valid key id")
    count = r.uint(8, "count")
    records = []
    for n in range(count):
        try:
            records.append(read_record(r))
        except LogDecodeError as exc:
            raise LogDecodeError(f"{source} record {n}: {exc}") from None
    r.end()
    return LogExport(key_id, tuple(records))
