"""Intel DCAP ECDSA quotes (SGX v3, TDX v4, v5): a parser for untrusted bytes.

Implements docs/attestation.md, "Quote layout". Parsing checks every length against the
bytes that are there and names the field and byte offset of any problem; it checks no
signature (that is `verify.py`). Bytes after the signature data are ignored: real quotes
are often delivered in fixed-size buffers. Reports keep their raw bytes, so that the signed
bytes are exactly the received ones and `Quote.to_bytes()` gives back the parsed quote.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Protocol

from council.attestation.errors import QuoteFormatError

HEADER_SIZE = 48
ENCLAVE_REPORT_SIZE = 384
TD_REPORT10_SIZE = 584
TD_REPORT15_SIZE = 648
ECDSA_SIG_SIZE = 64
ATTEST_KEY_SIZE = 64

ATT_KEY_ECDSA_P256 = 2
TEE_SGX = 0x00000000
TEE_TDX = 0x00000081
BODY_SGX = 1
BODY_TD10 = 2
BODY_TD15 = 3
CERT_PCK_CHAIN = 5
CERT_QE_REPORT = 6
INTEL_QE_VENDOR_ID = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


class _Reader:
    """A cursor over untrusted bytes that refuses to read past `end`."""

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end

    def take(self, size: int, field: str) -> bytes:
        if size > self.end - self.pos:
            left = max(self.end - self.pos, 0)
            raise QuoteFormatError(field, self.pos, f"needs {size} bytes, only {left} left")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u16(self, field: str) -> int:
        return int.from_bytes(self.take(2, field), "little")

    def u32(self, field: str) -> int:
        return int.from_bytes(self.take(4, field), "little")

    def expect_end(self, field: str) -> None:
        if self.pos != self.end:
            raise QuoteFormatError(field, self.pos, f"{self.end - self.pos} unexpected bytes")


class _Bytes:
    """A fixed byte range of a structure's `raw` bytes."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end

    def __get__(self, obj: _HasRaw, owner: object = None) -> bytes:
        return obj.raw[self.start : self.end]


class _Uint(_Bytes):
    """A little-endian unsigned integer field of a structure's `raw` bytes."""

    def __get__(self, obj: _HasRaw, owner: object = None) -> int:  # type: ignore[override]
        return int.from_bytes(obj.raw[self.start : self.end], "little")


class _HasRaw(Protocol):
    @property
    def raw(self) -> bytes: ...


@dataclass(frozen=True)
class QuoteHeader:
    """The 48-byte quote header; fields are read from `raw`."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != HEADER_SIZE:
            raise ValueError(f"quote header is {HEADER_SIZE} bytes, got {len(self.raw)}")

    version = _Uint(0, 2)  # quote format version
    att_key_type = _Uint(2, 4)  # 2 = ECDSA P-256
    tee_type = _Uint(4, 8)  # 0 = SGX, 0x81 = TDX
    qe_svn = _Uint(8, 10)  # QE SVN (v3; reserved in v4)
    pce_svn = _Uint(10, 12)  # PCE SVN (v3; reserved in v4)
    qe_vendor_id = _Bytes(12, 28)  # Intel QE vendor id
    user_data = _Bytes(28, 48)  # QE-defined user data

    @classmethod
    def build(cls, version: int, tee_type: int, user_data: bytes = b"\0" * 20) -> QuoteHeader:
        """A header with Intel's QE vendor id and an ECDSA P-256 attestation key."""
        head = struct.pack("<HHIHH", version, ATT_KEY_ECDSA_P256, tee_type, 0, 0)
        return cls(head + INTEL_QE_VENDOR_ID + user_data)


@dataclass(frozen=True)
class EnclaveReport:
    """An SGX enclave report body (384 bytes): the ISV enclave's or the QE's."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != ENCLAVE_REPORT_SIZE:
            raise ValueError(f"enclave report is {ENCLAVE_REPORT_SIZE} bytes, got {len(self.raw)}")

    cpu_svn = _Bytes(0, 16)
    misc_select = _Uint(16, 20)
    isv_ext_prod_id = _Bytes(32, 48)
    attributes = _Bytes(48, 64)
    mr_enclave = _Bytes(64, 96)
    mr_signer = _Bytes(128, 160)
    config_id = _Bytes(192, 256)
    isv_prod_id = _Uint(256, 258)
    isv_svn = _Uint(258, 260)
    config_svn = _Uint(260, 262)
    isv_family_id = _Bytes(304, 320)
    report_data = _Bytes(320, 384)

    @property
    def debug(self) -> bool:
        """ATTRIBUTES.DEBUG (bit 1 of the flags): a debugger can read the enclave."""
        return bool(self.attributes[0] & 0x02)

    @classmethod
    def build(cls, *, attributes: bytes, mr_enclave: bytes, mr_signer: bytes,
              isv_prod_id: int, isv_svn: int, report_data: bytes,
              misc_select: int = 0, cpu_svn: bytes = b"\0" * 16) -> EnclaveReport:
        """An enclave report from its fields (reserved bytes zero); for tests and tools."""
        raw = bytearray(ENCLAVE_REPORT_SIZE)
        raw[0:16] = cpu_svn
        raw[16:20] = misc_select.to_bytes(4, "little")
        raw[48:64] = attributes
        raw[64:96] = mr_enclave
        raw[128:160] = mr_signer
        raw[256:260] = struct.pack("<HH", isv_prod_id, isv_svn)
        raw[320:384] = report_data
        return cls(bytes(raw))


@dataclass(frozen=True)
class TdReport:
    """A TDX TD report body: TD 1.0 (584 bytes) or TD 1.5 (648 bytes, v5 quotes only)."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) not in (TD_REPORT10_SIZE, TD_REPORT15_SIZE):
            raise ValueError(f"TD report is 584 or 648 bytes, got {len(self.raw)}")

    tee_tcb_svn = _Bytes(0, 16)
    mr_seam = _Bytes(16, 64)
    mr_signer_seam = _Bytes(64, 112)
    seam_attributes = _Bytes(112, 120)
    td_attributes = _Bytes(120, 128)
    xfam = _Bytes(128, 136)
    mr_td = _Bytes(136, 184)
    mr_config_id = _Bytes(184, 232)
    mr_owner = _Bytes(232, 280)
    mr_owner_config = _Bytes(280, 328)
    rtmr0 = _Bytes(328, 376)
    rtmr1 = _Bytes(376, 424)
    rtmr2 = _Bytes(424, 472)
    rtmr3 = _Bytes(472, 520)
    report_data = _Bytes(520, 584)
    tee_tcb_svn2 = _Bytes(584, 600)  # TD 1.5 only (empty for TD 1.0)
    mr_service_td = _Bytes(600, 648)  # TD 1.5 only (empty for TD 1.0)

    @property
    def rtmrs(self) -> tuple[bytes, bytes, bytes, bytes]:
        """RTMR0..3, the run-time measurement registers."""
        return (self.rtmr0, self.rtmr1, self.rtmr2, self.rtmr3)

    @property
    def debug(self) -> bool:
        """TDATTRIBUTES.DEBUG (bit 0): the host VMM can read and change the TD."""
        return bool(self.td_attributes[0] & 0x01)


@dataclass(frozen=True)
class SignatureData:
    """The ECDSA signature data that follows the report body."""

    quote_signature: bytes
    attest_key: bytes
    qe_report: EnclaveReport
    qe_report_signature: bytes
    qe_auth_data: bytes
    cert_data_type: int
    cert_data: bytes

    def to_bytes(self, version: int) -> bytes:
        """Serialize for `version` (v4/v5 wrap the QE report in certification data type 6)."""
        inner = (self.qe_report.raw + self.qe_report_signature
                 + struct.pack("<H", len(self.qe_auth_data)) + self.qe_auth_data
                 + struct.pack("<HI", self.cert_data_type, len(self.cert_data)) + self.cert_data)
        if version >= 4:
            inner = struct.pack("<HI", CERT_QE_REPORT, len(inner)) + inner
        return self.quote_signature + self.attest_key + inner

    @property
    def pck_chain_pem(self) -> tuple[bytes, ...]:
        """The PEM certificates of certification data type 5, leaf first (not yet decoded)."""
        return tuple(m.group(0) for m in _PEM_CERT.finditer(self.cert_data))


@dataclass(frozen=True)
class Quote:
    """A parsed, not yet verified, DCAP quote."""

    header: QuoteHeader
    body: EnclaveReport | TdReport
    signature_data: SignatureData
    body_type: int

    @property
    def version(self) -> int:
        return self.header.version

    @property
    def tee(self) -> str:
        """"sgx" or "tdx"."""
        return "tdx" if isinstance(self.body, TdReport) else "sgx"

    @property
    def signed_bytes(self) -> bytes:
        """The bytes the attestation key signs: header, (v5: body type and size), body."""
        if self.version == 5:
            return self.header.raw + struct.pack("<HI", self.body_type, len(self.body.raw)) + self.body.raw
        return self.header.raw + self.body.raw

    def to_bytes(self) -> bytes:
        """The quote proper (without the trailing bytes a parsed buffer may have had)."""
        sig = self.signature_data.to_bytes(self.version)
        return self.signed_bytes + struct.pack("<I", len(sig)) + sig


def parse_quote(data: bytes) -> Quote:
    """Parse untrusted quote bytes; raise QuoteFormatError naming the field and offset."""
    reader = _Reader(bytes(data))
    header = QuoteHeader(reader.take(HEADER_SIZE, "header"))
    _check_header(header)
    body_type, body = _parse_body(reader, header)
    sig_len = reader.u32("signature_data_len")
    sig_end = reader.pos + sig_len
    if sig_end > len(reader.data):
        raise QuoteFormatError("signature_data", reader.pos,
                               f"declares {sig_len} bytes, only {len(reader.data) - reader.pos} left")
    signature_data = _parse_signature_data(_Reader(reader.data, reader.pos, sig_end), header.version)
    return Quote(header, body, signature_data, body_type)


def _check_header(header: QuoteHeader) -> None:
    if header.version not in (3, 4, 5):
        raise QuoteFormatError("header.version", 0, f"unsupported quote version {header.version}")
    if header.att_key_type != ATT_KEY_ECDSA_P256:
        raise QuoteFormatError("header.att_key_type", 2,
                               f"unsupported attestation key type {header.att_key_type} (want 2, ECDSA P-256)")
    if header.tee_type not in (TEE_SGX, TEE_TDX) or (header.version == 3 and header.tee_type != TEE_SGX):
        raise QuoteFormatError("header.tee_type", 4,
                               f"unsupported TEE type {header.tee_type:#x} for quote version {header.version}")
    if header.qe_vendor_id != INTEL_QE_VENDOR_ID:
        raise QuoteFormatError("header.qe_vendor_id", 12, "not the Intel QE vendor id")


def _parse_body(reader: _Reader, header: QuoteHeader) -> tuple[int, EnclaveReport | TdReport]:
    if header.version == 5:
        offset = reader.pos
        body_type = reader.u16("body.type")
        size = reader.u32("body.size")
        want = {BODY_SGX: ENCLAVE_REPORT_SIZE, BODY_TD10: TD_REPORT10_SIZE, BODY_TD15: TD_REPORT15_SIZE}
        if want.get(body_type) != size:
            raise QuoteFormatError("body.type", offset, f"unsupported body type {body_type} of size {size}")
        if (body_type == BODY_SGX) != (header.tee_type == TEE_SGX):
            raise QuoteFormatError("body.type", offset, f"body type {body_type} does not fit the TEE type")
    else:
        body_type = BODY_SGX if header.tee_type == TEE_SGX else BODY_TD10
    if body_type == BODY_SGX:
        return body_type, EnclaveReport(reader.take(ENCLAVE_REPORT_SIZE, "report_body"))
    size = TD_REPORT15_SIZE if body_type == BODY_TD15 else TD_REPORT10_SIZE
    return body_type, TdReport(reader.take(size, "td_report_body"))


def _parse_signature_data(reader: _Reader, version: int) -> SignatureData:
    signature = reader.take(ECDSA_SIG_SIZE, "quote_signature")
    attest_key = reader.take(ATTEST_KEY_SIZE, "attest_key")
    if version >= 4:
        offset = reader.pos
        outer_type = reader.u16("qe_cert_data.type")
        if outer_type != CERT_QE_REPORT:
            raise QuoteFormatError("qe_cert_data.type", offset,
                                   f"certification data type {outer_type}, want 6 (QE report)")
        outer_size = reader.u32("qe_cert_data.size")
        inner = _Reader(reader.data, reader.pos, reader.pos + outer_size)
        if inner.end > reader.end:
            raise QuoteFormatError("qe_cert_data", reader.pos,
                                   f"declares {outer_size} bytes, only {reader.end - reader.pos} left")
        reader.pos = inner.end
        fields = _parse_qe_certification(inner)
    else:
        fields = _parse_qe_certification(reader)
    reader.expect_end("signature_data")
    return SignatureData(signature, attest_key, *fields)


def _parse_qe_certification(reader: _Reader) -> tuple[EnclaveReport, bytes, bytes, int, bytes]:
    qe_report = EnclaveReport(reader.take(ENCLAVE_REPORT_SIZE, "qe_report"))
    qe_report_signature = reader.take(ECDSA_SIG_SIZE, "qe_report_signature")
    auth_data = reader.take(reader.u16("qe_auth_data.size"), "qe_auth_data")
    offset = reader.pos
    cert_type = reader.u16("certification_data.type")
    if cert_type != CERT_PCK_CHAIN:
        raise QuoteFormatError("certification_data.type", offset,
                               f"certification data type {cert_type} unsupported (want 5, PCK chain)")
    cert_data = reader.take(reader.u32("certification_data.size"), "certification_data")
    reader.expect_end("qe_certification_data")
    return qe_report, qe_report_signature, auth_data, cert_type, cert_data
