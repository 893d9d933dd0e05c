"""Offline DCAP quote verification, as the numbered steps of docs/attestation.md.

`verify_quote` runs steps (1)-(15) against collateral already read from files, at a given
time, and either returns a `VerifiedQuote` or raises the `QuoteVerificationError` subclass
of the first failed step. `evaluate_quote` wraps it into a `Verdict` value for the CLI and
the admission policy. No network, no clock: the time is an argument.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from council.attestation import pki
from council.attestation.collateral import Collateral, SignedDocument, load_collateral
from council.attestation.der import DerError
from council.attestation.errors import (
    CertificateChainError,
    CollateralFormatError,
    CrlError,
    ExpiredError,
    IdentityMismatch,
    QuoteVerificationError,
    SignatureInvalid,
)
from council.attestation.quote import Quote, TdReport, parse_quote
from council.attestation.root import pinned_root
from council.attestation.sgx_ext import SgxExtension, sgx_extension_of
from council.attestation.tcb import TcbResult, evaluate_tcb, qe_identity_match, tdx_module_identity
from council.attestation.tcb_info import QeIdentity, TcbInfo, parse_qe_identity, parse_tcb_info
from council.attestation.verdict import Verdict


@dataclass(frozen=True)
class VerifiedQuote:
    """A quote that passed every step, with the TCB evaluation and the time it held at."""

    quote: Quote
    tcb: TcbResult
    fmspc: bytes
    verified_at: datetime
    collateral_issued: datetime


def verify_quote(data: bytes, collateral: Collateral, at: datetime,
                 root: x509.Certificate | None = None) -> VerifiedQuote:
    """Verify quote bytes at time `at` (aware) against `collateral` and the pinned root."""
    # (1) parse_quote: lengths, version, key type, TEE type, certification data type 5
    return verify_parsed_quote(parse_quote(data), collateral, at, root)


def verify_parsed_quote(quote: Quote, collateral: Collateral, at: datetime,
                        root: x509.Certificate | None = None) -> VerifiedQuote:
    """Steps (2)-(15) for a parsed quote; see docs/attestation.md."""
    if at.tzinfo is None:
        raise ValueError("verification time must be timezone-aware")
    root = pinned_root() if root is None else root
    # (2) root_ca: the pinned root is a self-signed CA, valid at `at`
    pki.check_root(root, at, "root_ca")
    # (3) root_crl: the root CA CRL is signed by the root and current
    root_crl = _root_crl(collateral, root, at)
    # (4) pck_chain: PCK leaf <- PCK CA <- pinned root, names, windows; CA not revoked
    pck, pck_ca = _pck_chain(quote, root, root_crl, at)
    # (5) pck_crl: the PCK CRL is issued and signed by the PCK CA, and current
    _pck_crl(collateral, pck_ca, root, at)
    # (6) pck_revocation: the PCK leaf is not in the PCK CRL
    pki.check_not_revoked(pck, collateral.pck_crl, "pck_revocation")
    # (7) tcb_info: chain, signature over the raw member, TEE id, issueDate..nextUpdate
    tcb_info = parse_tcb_info(_signed_body(collateral.tcb_info, collateral.tcb_info_chain,
                                           "SGX TCB Signing", root, root_crl, at, "tcb_info"))
    _check_tcb_info(tcb_info, quote, at)
    # (8) qe_identity: chain, signature over the raw member, QE/TD_QE id, window
    qe_identity = parse_qe_identity(_signed_body(collateral.qe_identity, collateral.qe_identity_chain,
                                                 "SGX TCB Signing", root, root_crl, at, "qe_identity"))
    _check_qe_identity(qe_identity, quote, at)
    # (9) pck_extension: SGX extension of the PCK leaf; FMSPC and PCEID match the TCB info
    ext = _pck_extension(pck, tcb_info)
    # (10) tdx_module: MRSIGNERSEAM / SEAMATTRIBUTES match the TDX module identity
    if isinstance(quote.body, TdReport):
        tdx_module_identity(quote.body, tcb_info)
    sig = quote.signature_data
    # (11) qe_report_signature: the QE report is signed by the PCK leaf key
    _check_signature(pck.public_key(), sig.qe_report_signature, sig.qe_report.raw,
                     "qe_report_signature", "QE report signature by the PCK key")
    # (12) qe_report_data: QE report data starts with SHA-256(attest_key || qe_auth_data)
    if hashlib.sha256(sig.attest_key + sig.qe_auth_data).digest() != sig.qe_report.report_data[:32]:
        raise SignatureInvalid("qe_report_data", "QE report data does not commit to the "
                                                 "attestation key and QE authentication data")
    # (13) qe_identity_match: MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES, ISVSVN level
    qe_level = qe_identity_match(sig.qe_report, qe_identity)
    # (14) quote_signature: header and body are signed by the attestation key
    _check_signature(_attest_key(sig.attest_key), sig.quote_signature, quote.signed_bytes,
                     "quote_signature", "quote signature by the attestation key")
    # (15) tcb_level: TCB level, TDX module and QE levels -> status and advisories
    tcb = evaluate_tcb(tcb_info, ext, quote.body, qe_level)
    issued = max(tcb_info.issue_date, qe_identity.issue_date)
    return VerifiedQuote(quote, tcb, ext.fmspc, at, issued)


def evaluate_quote(data: bytes, collateral: Collateral | Path, at: datetime,
                   root: x509.Certificate | None = None) -> Verdict:
    """Verify and describe the outcome as a `Verdict` (never raises for a bad quote)."""
    quote: Quote | None = None
    try:
        quote = parse_quote(data)
        if isinstance(collateral, Path):
            collateral = load_collateral(collateral)
        verified = verify_parsed_quote(quote, collateral, at, root)
    except QuoteVerificationError as exc:
        return Verdict.from_quote(quote, verified=False, verified_at=at,
                                  failed_step=exc.step, message=str(exc))
    return Verdict.from_quote(quote, verified=True, tcb_status=verified.tcb.status,
                              advisory_ids=verified.tcb.advisory_ids, fmspc=verified.fmspc,
                              verified_at=at)


def _root_crl(collateral: Collateral, root: x509.Certificate,
              at: datetime) -> x509.CertificateRevocationList:
    if collateral.root_ca_crl is None:
        raise CollateralFormatError("root_crl", "root CA CRL (root_ca_crl.der) is missing")
    pki.check_crl(collateral.root_ca_crl, root, at, "root_crl")
    return collateral.root_ca_crl


def _pck_chain(quote: Quote, root: x509.Certificate, root_crl: x509.CertificateRevocationList,
               at: datetime) -> tuple[x509.Certificate, x509.Certificate]:
    step = "pck_chain"
    chain = pki.decode_pem_certificates(quote.signature_data.pck_chain_pem, step, "PCK chain")
    if len(chain) != 3:
        raise CertificateChainError(step, f"PCK chain has {len(chain)} certificates, want 3 "
                                          "(PCK, PCK CA, root)")
    pck, pck_ca = chain[0], chain[1]
    if "SGX PCK Certificate" not in pki.common_name(pck):
        raise CertificateChainError(step, f"leaf '{pki.common_name(pck)}' is not a PCK certificate")
    if not pki.common_name(pck_ca).startswith("Intel SGX PCK") or "CA" not in pki.common_name(pck_ca):
        raise CertificateChainError(step, f"'{pki.common_name(pck_ca)}' is not an Intel SGX PCK CA")
    pki.check_chain(chain, root, at, step)
    pki.check_not_revoked(pck_ca, root_crl, step)
    return pck, pck_ca


def _pck_crl(collateral: Collateral, pck_ca: x509.Certificate, root: x509.Certificate,
             at: datetime) -> None:
    step = "pck_crl"
    if collateral.pck_crl_chain:
        issuer = collateral.pck_crl_chain[0]
        if issuer.subject != pck_ca.subject or issuer.public_key() != pck_ca.public_key():
            raise CrlError(step, f"PCK CRL issuer chain names '{pki.common_name(issuer)}', not "
                                 f"the quote's '{pki.common_name(pck_ca)}'")
        pki.check_chain(collateral.pck_crl_chain, root, at, step)
    pki.check_crl(collateral.pck_crl, pck_ca, at, step)


def _signed_body(doc: SignedDocument, chain: tuple[x509.Certificate, ...], signer_cn: str,
                 root: x509.Certificate, root_crl: x509.CertificateRevocationList,
                 at: datetime, step: str) -> bytes:
    """Check a collateral document's issuer chain and signature; return the signed bytes."""
    if not chain or signer_cn not in pki.common_name(chain[0]):
        raise CertificateChainError(step, f"{doc.source} issuer chain does not start with an "
                                          f"'{signer_cn}' certificate")
    pki.check_chain(chain, root, at, step)
    pki.check_not_revoked(chain[0], root_crl, step)
    _check_signature(chain[0].public_key(), doc.signature, doc.body, step,
                     f"{doc.source} signature over the raw '{doc.member}' member")
    return doc.body


def _check_window(issue: datetime, next_update: datetime, at: datetime, step: str,
                  what: str) -> None:
    if not issue <= at <= next_update:
        raise ExpiredError(step, f"{what} is valid {issue.isoformat()}..{next_update.isoformat()} "
                                 f"(issueDate..nextUpdate), not at {at.isoformat()}")


def _check_tcb_info(tcb_info: TcbInfo, quote: Quote, at: datetime) -> None:
    want = quote.tee.upper()
    if tcb_info.id != want:
        raise IdentityMismatch("tcb_info", f"TCB info is for {tcb_info.id}, the quote is {want}")
    _check_window(tcb_info.issue_date, tcb_info.next_update, at, "tcb_info", "TCB info")


def _check_qe_identity(identity: QeIdentity, quote: Quote, at: datetime) -> None:
    want = "TD_QE" if quote.tee == "tdx" else "QE"
    if identity.id != want:
        raise IdentityMismatch("qe_identity", f"QE identity is {identity.id!r}, want {want!r}")
    _check_window(identity.issue_date, identity.next_update, at, "qe_identity", "QE identity")


def _pck_extension(pck: x509.Certificate, tcb_info: TcbInfo) -> SgxExtension:
    step = "pck_extension"
    try:
        ext = sgx_extension_of(pck)
    except DerError as exc:
        raise CertificateChainError(step, f"PCK certificate SGX extension: {exc}") from None
    if ext.fmspc != tcb_info.fmspc:
        raise IdentityMismatch(step, f"PCK FMSPC {ext.fmspc.hex().upper()} is not the TCB info's "
                                     f"{tcb_info.fmspc.hex().upper()}")
    if ext.pce_id != tcb_info.pce_id:
        raise IdentityMismatch(step, f"PCK PCEID {ext.pce_id.hex().upper()} is not the TCB info's "
                                     f"{tcb_info.pce_id.hex().upper()}")
    return ext


def _attest_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + raw)
    except ValueError:
        raise SignatureInvalid("quote_signature", "attestation key is not a P-256 point") from None


def _check_signature(key: object, raw_signature: bytes, data: bytes, step: str,
                     what: str) -> None:
    """Verify a raw r||s ECDSA P-256/SHA-256 signature."""
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SignatureInvalid(step, f"{what}: signer key is not ECDSA P-256")
    half = len(raw_signature) // 2
    der = encode_dss_signature(int.from_bytes(raw_signature[:half], "big"),
                               int.from_bytes(raw_signature[half:], "big"))
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalid(step, f"{what} does not verify") from None
