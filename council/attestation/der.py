"""A small, strict DER reader: just enough ASN.1 for Intel's SGX certificate extension.

Reads single-byte tags with definite, minimally encoded lengths (X.690 DER, section 10.1),
OBJECT IDENTIFIERs, non-negative INTEGERs, ENUMERATEDs, BOOLEANs and OCTET STRINGs. Every
length is checked against the bytes that are there; problems raise `DerError` with the
byte offset. Nothing else of ASN.1 is supported on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.errors import DecodeError

BOOLEAN = 0x01
INTEGER = 0x02
OCTET_STRING = 0x04
OBJECT_IDENTIFIER = 0x06
ENUMERATED = 0x0A
SEQUENCE = 0x30


class DerError(DecodeError):
    """DER bytes are malformed or not of the expected type."""


@dataclass(frozen=True)
class Tlv:
    """One DER element: its tag, content bytes, and where it and its content start."""

    tag: int
    value: bytes
    offset: int
    content_offset: int


def read_tlv(data: bytes, offset: int = 0, base: int = 0) -> tuple[Tlv, int]:
    """Read one element at `offset`; return it and the offset just after it.

    `base` is the absolute offset of `data` in the outermost buffer, used in messages.
    """
    try:
        return _read_tlv(data, offset, base)
    except DerError as exc:
        raise DerError(f"DER element at offset {base + offset}: {exc}") from None


def _read_tlv(data: bytes, offset: int, base: int) -> tuple[Tlv, int]:
    if offset + 2 > len(data):
        raise DerError("truncated header")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not supported")
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError(f"unsupported length form {first:#x}")
        if pos + count > len(data):
            raise DerError("truncated length")
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80 or data[pos] == 0:
            raise DerError("length not minimally encoded")
        pos += count
    if pos + length > len(data):
        raise DerError(f"declares {length} bytes, {len(data) - pos} left")
    return Tlv(tag, data[pos : pos + length], base + offset, base + pos), pos + length


def read_single(data: bytes, tag: int) -> Tlv:
    """Read exactly one element of type `tag` that fills `data`."""
    tlv, end = read_tlv(data)
    if end != len(data):
        raise DerError(f"DER: {len(data) - end} trailing bytes after the element")
    return expect(tlv, tag)


def read_sequence(tlv: Tlv) -> list[Tlv]:
    """The elements inside a SEQUENCE, in order."""
    expect(tlv, SEQUENCE)
    items, pos = [], 0
    while pos < len(tlv.value):
        item, pos = read_tlv(tlv.value, pos, tlv.content_offset)
        items.append(item)
    return items


def expect(tlv: Tlv, tag: int) -> Tlv:
    """Return `tlv` if it has `tag`, else raise DerError."""
    if tlv.tag != tag:
        raise DerError(f"DER element at offset {tlv.offset}: tag {tlv.tag:#04x}, want {tag:#04x}")
    return tlv


def decode_oid(tlv: Tlv) -> str:
    """An OBJECT IDENTIFIER as dotted text ("1.2.840.113741.1.13.1")."""
    value = expect(tlv, OBJECT_IDENTIFIER).value
    if not value or value[-1] & 0x80:
        raise DerError(f"OID at offset {tlv.offset}: empty or truncated")
    arcs, current, fresh = [], 0, True
    for byte in value:
        if fresh and byte == 0x80:
            raise DerError(f"OID at offset {tlv.offset}: arc not minimally encoded")
        current = (current << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def decode_uint(tlv: Tlv, tag: int = INTEGER) -> int:
    """A non-negative, minimally encoded INTEGER (or ENUMERATED with `tag`)."""
    value = expect(tlv, tag).value
    if not value:
        raise DerError(f"INTEGER at offset {tlv.offset}: empty")
    if value[0] & 0x80:
        raise DerError(f"INTEGER at offset {tlv.offset}: negative")
    if len(value) > 1 and value[0] == 0 and not value[1] & 0x80:
        raise DerError(f"INTEGER at offset {tlv.offset}: not minimally encoded")
    return int.from_bytes(value, "big")


def decode_bool(tlv: Tlv) -> bool:
    """A DER BOOLEAN (0x00 or 0xFF only)."""
    value = expect(tlv, BOOLEAN).value
    if value not in (b"\x00", b"\xff"):
        raise DerError(f"BOOLEAN at offset {tlv.offset}: not DER (00 or FF)")
    return value == b"\xff"


def decode_octets(tlv: Tlv, size: int | None = None) -> bytes:
    """An OCTET STRING, optionally of an exact size."""
    value = expect(tlv, OCTET_STRING).value
    if size is not None and len(value) != size:
        raise DerError(f"OCTET STRING at offset {tlv.offset}: {len(value)} bytes, want {size}")
    return value
