"""The quote parser, the DER reader and the collateral reader on untrusted bytes."""

from __future__ import annotations

import struct

import pytest
from dcap_synth import FMSPC, sgx_extension_der
from dcap_vectors import vector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.attestation import der, evaluate_quote, parse_quote
from council.attestation.collateral import signed_document
from council.attestation.errors import CollateralFormatError, QuoteFormatError
from council.attestation.quote import TdReport
from council.attestation.sgx_ext import parse_sgx_extension

pytestmark = pytest.mark.timeout(60)

Q01 = vector("q01")
Q02 = vector("q02")
PROPER = {v.name: parse_quote(v.quote).to_bytes() for v in (Q01, Q02)}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_empty_quote() -> None:
    with pytest.raises(QuoteFormatError) as caught:
        parse_quote(b"")
    assert caught.value.field == "header" and caught.value.offset == 0
    assert "parse_quote" in str(caught.value) and "needs 48 bytes" in str(caught.value)


@pytest.mark.parametrize("name", sorted(PROPER))
def test_every_truncation_is_a_clean_error(name: str) -> None:
    proper = PROPER[name]
    for size in [*range(0, len(proper), 23), len(proper) - 1]:
        with pytest.raises(QuoteFormatError, match="byte offset"):
            parse_quote(proper[:size])


def test_truncation_message_names_the_field() -> None:
    with pytest.raises(QuoteFormatError, match=r"report_body at byte offset 48: needs 384 bytes, only 2 left"):
        parse_quote(PROPER[Q01.name][:50])


@pytest.mark.parametrize(("offset", "value", "field"), [
    (0, struct.pack("<H", 2), "header.version"),
    (0, struct.pack("<H", 6), "header.version"),
    (2, struct.pack("<H", 3), "header.att_key_type"),
    (4, struct.pack("<I", 0x81), "header.tee_type"),
    (12, b"\0" * 16, "header.qe_vendor_id"),
])
def test_bad_header_fields(offset: int, value: bytes, field: str) -> None:
    data = bytearray(PROPER[Q01.name])
    data[offset:offset + len(value)] = value
    with pytest.raises(QuoteFormatError) as caught:
        parse_quote(bytes(data))
    assert caught.value.field == field and caught.value.offset == offset


def test_unsupported_certification_data_type() -> None:
    quote = parse_quote(Q01.quote)
    data = bytearray(PROPER[Q01.name])
    at = len(data) - len(quote.signature_data.cert_data) - 6
    data[at:at + 2] = struct.pack("<H", 3)
    with pytest.raises(QuoteFormatError, match=f"certification_data.type at byte offset {at}"):
        parse_quote(bytes(data))


def test_v4_needs_qe_report_certification_data() -> None:
    data = bytearray(PROPER[Q02.name])
    at = 48 + 584 + 4 + 128
    data[at:at + 2] = struct.pack("<H", 5)
    with pytest.raises(QuoteFormatError, match=f"qe_cert_data.type at byte offset {at}"):
        parse_quote(bytes(data))


def test_signature_data_longer_than_the_buffer() -> None:
    data = bytearray(PROPER[Q01.name])
    data[432:436] = struct.pack("<I", len(data))
    with pytest.raises(QuoteFormatError, match="signature_data at byte offset 436: declares"):
        parse_quote(bytes(data))


def test_slack_inside_the_signature_data_is_refused() -> None:
    data = bytearray(PROPER[Q01.name])
    declared = struct.unpack_from("<I", data, 432)[0]
    data[432:436] = struct.pack("<I", declared + 8)
    with pytest.raises(QuoteFormatError, match="unexpected bytes"):
        parse_quote(bytes(data) + bytes(8))


def test_td_report_fields() -> None:
    body = parse_quote(Q02.quote).body
    assert isinstance(body, TdReport)
    assert body.tee_tcb_svn[1] == 1 and len(body.mr_td) == 48 and len(body.rtmrs) == 4
    assert body.tee_tcb_svn2 == b"" and not body.debug


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes_give_only_clean_errors(data: bytes) -> None:
    try:
        parse_quote(data)
    except QuoteFormatError:
        pass


@FUZZ
@given(st.sampled_from(sorted(PROPER)), st.data())
def test_fuzz_headers_of_real_quotes(name: str, data: st.DataObject) -> None:
    proper = bytearray(PROPER[name])
    prefix = data.draw(st.binary(min_size=0, max_size=12))
    proper[:len(prefix)] = prefix
    size = data.draw(st.integers(0, len(proper)))
    try:
        parse_quote(bytes(proper[:size]))
    except QuoteFormatError:
        pass


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([Q01, Q02]), st.data())
def test_fuzz_mutated_quotes_through_full_verification(v: object, data: st.DataObject) -> None:
    quote = bytearray(v.quote)  # type: ignore[attr-defined]
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(quote) - 1))
        quote[at] = data.draw(st.integers(0, 255))
    verdict = evaluate_quote(bytes(quote), v.collateral, v.at)  # type: ignore[attr-defined]
    assert verdict.verified in (True, False)
    if not verdict.verified:
        assert verdict.failed_step and verdict.failed_step in (verdict.message or "")


B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_fuzz_certificate_bytes_through_full_verification(data: st.DataObject) -> None:
    quote = bytearray(Q01.quote)
    cert_data = parse_quote(Q01.quote).signature_data.cert_data
    start = bytes(quote).index(cert_data)
    for _ in range(data.draw(st.integers(1, 4))):
        at = start + data.draw(st.integers(40, len(cert_data) - 40))
        if quote[at] in B64:
            quote[at] = data.draw(st.sampled_from(B64))
    verdict = evaluate_quote(bytes(quote), Q01.collateral, Q01.at)
    assert verdict.verified or verdict.failed_step in ("pck_chain", "pck_crl", "pck_revocation",
                                                      "pck_extension", "qe_report_signature",
                                                      "tcb_level")


# ---- DER and the SGX extension ----------------------------------------------------------------

def test_sgx_extension_roundtrip() -> None:
    ext = parse_sgx_extension(sgx_extension_der(tuple(range(16)), 300, FMSPC))
    assert ext.tcb_components == tuple(range(16)) and ext.pce_svn == 300 and ext.fmspc == FMSPC


@pytest.mark.parametrize("data", [
    b"",
    b"\x30",
    b"\x30\x81\x05abcde",  # length not minimal
    b"\x30\x80\x00\x00",  # indefinite length
    b"\x1f\x01\x00",  # multi-byte tag
    b"\x30\x05\x00",  # declares more than is there
    b"\x30\x00\x00",  # trailing byte
    b"\x02\x01\x01",  # not a SEQUENCE
])
def test_der_reader_refuses_bad_encodings(data: bytes) -> None:
    with pytest.raises(der.DerError):
        parse_sgx_extension(data)


@pytest.mark.parametrize(("data", "tag"), [
    (b"\x02\x01\xff", der.INTEGER),  # negative
    (b"\x02\x02\x00\x01", der.INTEGER),  # not minimal
    (b"\x02\x00", der.INTEGER),  # empty
    (b"\x01\x01\x01", der.BOOLEAN),  # BER true, not DER
    (b"\x06\x02\x2a\x80", der.OBJECT_IDENTIFIER),  # truncated arc
])
def test_der_primitives_refuse_bad_values(data: bytes, tag: int) -> None:
    tlv = der.read_single(data, tag)
    decode = {der.INTEGER: der.decode_uint, der.BOOLEAN: der.decode_bool,
              der.OBJECT_IDENTIFIER: der.decode_oid}[tag]
    with pytest.raises(der.DerError, match="offset 0"):
        decode(tlv)


def test_der_oid() -> None:
    tlv = der.read_single(bytes.fromhex("060a2a864886f84d010d0101"), der.OBJECT_IDENTIFIER)
    assert der.decode_oid(tlv) == "1.2.840.113741.1.13.1.1"


def test_sgx_extension_missing_and_duplicate_entries() -> None:
    good = sgx_extension_der((1,) * 16, 1, FMSPC)
    items = der.read_sequence(der.read_single(good, der.SEQUENCE))
    with pytest.raises(der.DerError, match="lacks"):
        parse_sgx_extension(_sequence(b"".join(_raw(good, i) for i in items[:3] + items[4:])))
    with pytest.raises(der.DerError, match="duplicate"):
        parse_sgx_extension(_sequence(b"".join(_raw(good, i) for i in [*items, items[3]])))


def _sequence(content: bytes) -> bytes:
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else b"\x82" + n.to_bytes(2, "big")
    return b"\x30" + length + content


def _raw(outer: bytes, tlv: der.Tlv) -> bytes:
    _, end = der.read_tlv(outer, tlv.offset)
    return outer[tlv.offset:end]


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_sgx_extension(data: bytes) -> None:
    try:
        parse_sgx_extension(data)
    except der.DerError:
        pass


# ---- collateral JSON ----------------------------------------------------------------------------

SIG = '"signature":"' + "ab" * 64 + '"'


def test_signed_document_keeps_the_raw_member_bytes() -> None:
    doc = signed_document(('{"tcbInfo": {"b":1,  "a":[2]},' + SIG + "}").encode(), "tcbInfo", "t.json", "tcb_info")
    assert doc.body == b'{"b":1,  "a":[2]}' and doc.signature == bytes([0xAB]) * 64


@pytest.mark.parametrize("text", [
    "", "[]", '{"tcbInfo":{}}', '{"tcbInfo":{},"tcbInfo":{},' + SIG + "}",
    '{"tcbInfo":{},' + SIG + "} trailing", '{"tcbInfo":{},"signature":"abcd"}',
    '{"tcbInfo":{"a":1,"a":2},' + SIG + "}", "{" * 5000,
])
def test_signed_document_refuses_malformed_files(text: str) -> None:
    with pytest.raises(CollateralFormatError, match="tcb_info"):
        signed_document(text.encode(), "tcbInfo", "t.json", "tcb_info")
