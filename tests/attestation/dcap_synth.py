"""A fully synthetic DCAP world for tests: test root, PCK CA, PCK leaf with an SGX extension,
TCB signing certificate, CRLs, signed TCB info and QE identity, and quotes signed by our own
attestation key. Every parameter has a default that verifies as UpToDate at `T0`; tests
change one thing at a time with `dataclasses.replace`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from council.attestation.binding import expected_report_data_prefix
from council.attestation.quote import (
    BODY_SGX,
    BODY_TD10,
    TEE_SGX,
    TEE_TDX,
    EnclaveReport,
    Quote,
    QuoteHeader,
    SignatureData,
    TdReport,
)

T0 = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
QE_MRSIGNER = bytes(range(32))
MRENCLAVE = hashlib.sha256(b"test enclave").digest()
MRSIGNER = hashlib.sha256(b"test signer").digest()
MRTD = hashlib.sha384(b"test td").digest()
RTMRS = tuple(hashlib.sha384(b"rtmr%d" % i).digest() for i in range(4))
SEALER_KEY = b"\x02" + hashlib.sha256(b"sealer").digest()
FMSPC = bytes.fromhex("00906ED50000")


# ---- DER writer (for the synthetic SGX extension) ----------------------------------------------

def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _int(n: int, tag: int = 0x02) -> bytes:
    raw = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")
    return _tlv(tag, raw)


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def sgx_extension_der(components: tuple[int, ...], pce_svn: int, fmspc: bytes,
                      pce_id: bytes = b"\0\0") -> bytes:
    """The DER value of Intel's SGX extension."""
    base = "1.2.840.113741.1.13.1"
    tcb = [_seq(_oid(f"{base}.2.{i + 1}"), _int(c)) for i, c in enumerate(components)]
    tcb += [_seq(_oid(f"{base}.2.17"), _int(pce_svn)),
            _seq(_oid(f"{base}.2.18"), _tlv(0x04, bytes(components)))]
    return _seq(
        _seq(_oid(f"{base}.1"), _tlv(0x04, b"\x11" * 16)),
        _seq(_oid(f"{base}.2"), _seq(*tcb)),
        _seq(_oid(f"{base}.3"), _tlv(0x04, pce_id)),
        _seq(_oid(f"{base}.4"), _tlv(0x04, fmspc)),
        _seq(_oid(f"{base}.5"), _int(0, 0x0A)),
    )


# ---- keys and certificates -------------------------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Corporation"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@cache
def key(label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key per label (cached: key generation is the slow part)."""
    return ec.generate_private_key(ec.SECP256R1())


def cert(cn: str, subject_key: ec.EllipticCurvePrivateKey, issuer_cn: str,
         issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, serial: int,
         extension: bytes | None = None, not_before: datetime = T0 - timedelta(days=365),
         not_after: datetime = T0 + timedelta(days=3650)) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(issuer_cn))
               .public_key(subject_key.public_key()).serial_number(serial)
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if extension is not None:
        oid = x509.ObjectIdentifier("1.2.840.113741.1.13.1")
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, extension), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def crl(issuer_cn: str, issuer_key: ec.EllipticCurvePrivateKey, revoked: tuple[int, ...] = (),
        last: datetime = T0 - timedelta(days=1), nxt: datetime = T0 + timedelta(days=30)) -> bytes:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(_name(issuer_cn))
               .last_update(last).next_update(nxt))
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(last).build())
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def raw_sign(signer: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(signer.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def pem(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.PEM)


ROOT_CN = "Test SGX Root CA"
PCK_CA_CN = "Intel SGX PCK Platform CA"
PCK_CN = "Intel SGX PCK Certificate"
TCB_CN = "Intel SGX TCB Signing"


@cache
def root_cert(label: str = "root") -> x509.Certificate:
    return cert(ROOT_CN, key(label), ROOT_CN, key(label), ca=True, serial=1)


# ---- the world -------------------------------------------------------------------------------

def _level(sgx: tuple[int, ...], pce: int, status: str, advisories: tuple[str, ...] = (),
           tdx: tuple[int, ...] | None = None) -> dict[str, object]:
    tcb: dict[str, object] = {"sgxtcbcomponents": [{"svn": c} for c in sgx], "pcesvn": pce}
    if tdx is not None:
        tcb["tdxtcbcomponents"] = [{"svn": c} for c in tdx]
    level = {"tcb": tcb, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": status}
    if advisories:
        level["advisoryIDs"] = list(advisories)
    return level


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class World:
    """Parameters of a synthetic platform, its collateral and its quote."""

    tee: str = "sgx"
    version: int = 3
    components: tuple[int, ...] = (5,) * 16
    pce_svn: int = 13
    tee_tcb_svn: bytes = bytes([3, 1, 4]) + bytes(13)
    tcb_levels: tuple[dict[str, object], ...] = ()
    module_levels: tuple[dict[str, object], ...] = (
        {"tcb": {"isvsvn": 3}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"},)
    qe_svn: int = 8
    qe_levels: tuple[dict[str, object], ...] = (
        {"tcb": {"isvsvn": 8}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"},
        {"tcb": {"isvsvn": 1}, "tcbDate": "2020-01-01T00:00:00Z", "tcbStatus": "OutOfDate",
         "advisoryIDs": ["INTEL-SA-00615"]},
    )
    revoked_pck: bool = False
    collateral_issue: datetime = T0 - timedelta(days=1)
    collateral_next: datetime = T0 + timedelta(days=30)
    debug: bool = False
    report_data: bytes = expected_report_data_prefix(SEALER_KEY) + bytes(32)
    mrenclave: bytes = MRENCLAVE
    isv_svn: int = 2
    extra: dict[str, object] = field(default_factory=dict)

    def levels(self) -> tuple[dict[str, object], ...]:
        if self.tcb_levels:
            return self.tcb_levels
        tdx = (3, 0, 4) + (0,) * 13 if self.tee == "tdx" else None
        return (_level((5,) * 16, 13, "UpToDate", (), tdx),
                _level((4,) * 16, 13, "OutOfDate", ("INTEL-SA-00828",), tdx))

    # -- collateral --

    def tcb_info(self) -> dict[str, object]:
        info: dict[str, object] = {
            "id": self.tee.upper(), "version": 3, "issueDate": _iso(self.collateral_issue),
            "nextUpdate": _iso(self.collateral_next), "fmspc": FMSPC.hex().upper(), "pceId": "0000",
            "tcbType": 0, "tcbEvaluationDataNumber": 17,
        }
        if self.tee == "tdx":
            module = {"mrsigner": "00" * 48, "attributes": "00" * 8, "attributesMask": "FF" * 8}
            info["tdxModule"] = module
            info["tdxModuleIdentities"] = [{"id": "TDX_01", **module, "tcbLevels": list(self.module_levels)}]
        info["tcbLevels"] = list(self.levels())
        return info

    def qe_identity(self) -> dict[str, object]:
        return {
            "id": "TD_QE" if self.tee == "tdx" else "QE", "version": 2,
            "issueDate": _iso(self.collateral_issue), "nextUpdate": _iso(self.collateral_next),
            "tcbEvaluationDataNumber": 17, "miscselect": "00000000", "miscselectMask": "FFFFFFFF",
            "attributes": "11" + "00" * 15, "attributesMask": "FBFFFFFFFFFFFFFF" + "00" * 8,
            "mrsigner": QE_MRSIGNER.hex().upper(), "isvprodid": 2 if self.tee == "tdx" else 1,
            "tcbLevels": list(self.qe_levels),
        }

    def pck_cert(self) -> x509.Certificate:
        ext = sgx_extension_der(self.components, self.pce_svn, FMSPC)
        return cert(PCK_CN, key("pck"), PCK_CA_CN, key("pck_ca"), ca=False, serial=0x1234, extension=ext)

    def pck_ca_cert(self) -> x509.Certificate:
        return cert(PCK_CA_CN, key("pck_ca"), ROOT_CN, key("root"), ca=True, serial=2)

    def write_collateral(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        tcb_cert = cert(TCB_CN, key("tcb"), ROOT_CN, key("root"), ca=False, serial=3)
        chain = pem(tcb_cert) + pem(root_cert())
        for name, member, body in (("tcb_info", "tcbInfo", self.tcb_info()),
                                   ("qe_identity", "enclaveIdentity", self.qe_identity())):
            raw = json.dumps(body, separators=(",", ":")).encode()
            signature = raw_sign(key("tcb"), raw).hex()
            (folder / f"{name}.json").write_bytes(
                b'{"%s":%s,"signature":"%s"}' % (member.encode(), raw, signature.encode()))
            (folder / f"{name}_issuer_chain.pem").write_bytes(chain)
        revoked = (0x1234,) if self.revoked_pck else ()
        (folder / "pck_crl.der").write_bytes(crl(PCK_CA_CN, key("pck_ca"), revoked))
        (folder / "root_ca_crl.der").write_bytes(crl(ROOT_CN, key("root")))
        return folder

    # -- quote --

    def body(self) -> EnclaveReport | TdReport:
        if self.tee == "sgx":
            return EnclaveReport.build(
                attributes=bytes([0x07 if self.debug else 0x05]) + bytes(15), mr_enclave=self.mrenclave,
                mr_signer=MRSIGNER, isv_prod_id=7, isv_svn=self.isv_svn, report_data=self.report_data)
        raw = bytearray(584)
        raw[0:16] = self.tee_tcb_svn
        raw[120] = 0x01 if self.debug else 0x00
        raw[136:184] = MRTD
        for i, rtmr in enumerate(RTMRS):
            raw[328 + 48 * i : 376 + 48 * i] = rtmr
        raw[520:584] = self.report_data
        return TdReport(bytes(raw))

    def quote(self, chain: bytes | None = None) -> Quote:
        attest = key("attest")
        attest_pub = attest.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)[1:]
        auth = bytes(range(32))
        qe_report = EnclaveReport.build(
            attributes=bytes([0x11]) + bytes(15), mr_enclave=b"\x42" * 32, mr_signer=QE_MRSIGNER,
            isv_prod_id=2 if self.tee == "tdx" else 1, isv_svn=self.qe_svn,
            report_data=hashlib.sha256(attest_pub + auth).digest() + bytes(32))
        if chain is None:
            chain = pem(self.pck_cert()) + pem(self.pck_ca_cert()) + pem(root_cert())
        sig = SignatureData(bytes(64), attest_pub, qe_report, raw_sign(key("pck"), qe_report.raw),
                            auth, 5, chain)
        tee_type = TEE_TDX if self.tee == "tdx" else TEE_SGX
        unsigned = Quote(QuoteHeader.build(self.version, tee_type), self.body(), sig,
                         BODY_TD10 if self.tee == "tdx" else BODY_SGX)
        signed = replace(sig, quote_signature=raw_sign(attest, unsigned.signed_bytes))
        return replace(unsigned, signature_data=signed)

    def quote_bytes(self, chain: bytes | None = None) -> bytes:
        return self.quote(chain).to_bytes()
