"""Protobuf edge of the header: `DumpHeader` ↔ canonical `keycouncil.dump.v1.DumpHeader` bytes.

Implements docs/dump-format.md, "Header encoding". Decoding refuses anything whose canonical
re-encoding differs from the bytes given (unknown fields, repeated fields, non-minimal varints,
out-of-order fields, explicit defaults), so the signed bytes and the parsed value agree.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError as ProtobufDecodeError

from dumps.errors import HeaderInvalid
from dumps.gen import dump_pb2
from dumps.header import DumpHeader, Evidence


def encode_header(header: DumpHeader) -> bytes:
    """The canonical bytes of a header (the bytes that get signed and stored)."""
    data: bytes = _to_message(header).SerializeToString(deterministic=True)
    return data


def decode_header(data: bytes) -> DumpHeader:
    """Parse untrusted header bytes; HeaderInvalid (or UnsupportedVersion) on any problem."""
    message = dump_pb2.DumpHeader()
    try:
        message.ParseFromString(bytes(data))
    except ProtobufDecodeError:
        raise HeaderInvalid("header is not a valid protobuf DumpHeader") from None
    with_unknown = message.SerializeToString(deterministic=True)
    message.DiscardUnknownFields()  # upb keeps unknown fields and writes them back out
    canonical = message.SerializeToString(deterministic=True)
    if canonical != data:
        if with_unknown != canonical:
            raise HeaderInvalid("header has unknown fields (a newer format needs a new version)")
        raise HeaderInvalid("header is not canonically encoded protobuf")
    if not message.HasField("evidence"):
        raise HeaderInvalid("header field evidence: missing")
    return _from_message(message)


def _to_message(h: DumpHeader) -> dump_pb2.DumpHeader:
    return dump_pb2.DumpHeader(
        format_version=h.format_version, app_id=h.app_id, dump_version=h.dump_version,
        previous_digest=h.previous_digest, created_unix_ms=h.created_unix_ms, key_id=h.key_id,
        epoch=h.epoch, kem_ciphertext=h.kem_ciphertext, chunk_size=h.chunk_size,
        sealer_public_key=h.sealer_public_key,
        evidence=dump_pb2.Evidence(type=h.evidence.type, data=h.evidence.data),
        roster_digest=h.roster_digest)


def _from_message(m: dump_pb2.DumpHeader) -> DumpHeader:
    return DumpHeader(
        format_version=m.format_version, app_id=m.app_id, dump_version=m.dump_version,
        previous_digest=m.previous_digest, created_unix_ms=m.created_unix_ms, key_id=m.key_id,
        epoch=m.epoch, kem_ciphertext=m.kem_ciphertext, chunk_size=m.chunk_size,
        sealer_public_key=m.sealer_public_key,
        evidence=Evidence(type=m.evidence.type, data=m.evidence.data),
        roster_digest=m.roster_digest)
