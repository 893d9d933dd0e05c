"""X.509 checks for DCAP: chains to the pinned root, validity windows, CRLs.

Implements docs/attestation.md, steps (2)-(8) (the certificate parts). Chains are short
and fixed (leaf, Intel CA, root), so they are checked link by link with `cryptography`
rather than with a general path builder; the root must be byte-identical to the pinned one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.oid import NameOID

from council.attestation.errors import (
    CertificateChainError,
    CrlError,
    ExpiredError,
    RevokedError,
)

#: What `cryptography` raises on a certificate or CRL it cannot decode (lazily, on access).
DECODE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
                 x509.UnsupportedGeneralNameType)


def decode_pem_certificates(pems: Sequence[bytes], step: str, source: str) -> list[x509.Certificate]:
    """Decode PEM certificates eagerly (extensions, public key), so later checks cannot trip."""
    certs = []
    for index, pem in enumerate(pems):
        try:
            cert = x509.load_pem_x509_certificate(pem)
            _ = cert.subject, cert.issuer, cert.extensions, cert.public_key(), cert.signature_hash_algorithm
        except DECODE_ERRORS:
            raise CertificateChainError(step, f"{source}: certificate {index} does not decode") from None
        certs.append(cert)
    return certs


def common_name(cert: x509.Certificate) -> str:
    """The subject CN of `cert` (empty when there is none)."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def check_validity(cert: x509.Certificate, at: datetime, step: str) -> None:
    """Refuse a certificate outside its notBefore..notAfter window at `at`."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not start <= at <= end:
        raise ExpiredError(step, f"certificate '{common_name(cert)}' is valid "
                                 f"{start.isoformat()}..{end.isoformat()}, not at {at.isoformat()}")


def check_issued_by(cert: x509.Certificate, issuer: x509.Certificate, step: str) -> None:
    """Refuse `cert` unless `issuer` (a CA) issued and signed it."""
    try:
        is_ca = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    except DECODE_ERRORS:
        raise CertificateChainError(step, f"'{common_name(issuer)}' does not decode") from None
    if not is_ca:
        raise CertificateChainError(step, f"'{common_name(issuer)}' is not a CA certificate")
    try:
        cert.verify_directly_issued_by(issuer)
    except (*DECODE_ERRORS, InvalidSignature):
        raise CertificateChainError(step, f"certificate '{common_name(cert)}' is not signed by "
                                          f"'{common_name(issuer)}'") from None


def check_root(root: x509.Certificate, at: datetime, step: str) -> None:
    """The pinned root must be a self-signed CA valid at `at`."""
    check_issued_by(root, root, step)
    check_validity(root, at, step)


def check_chain(chain: Sequence[x509.Certificate], root: x509.Certificate,
                at: datetime, step: str) -> None:
    """Check a leaf-first chain ending with the pinned root itself: every link and window at `at`."""
    if not chain:
        raise CertificateChainError(step, "empty certificate chain")
    if chain[-1] != root:
        raise CertificateChainError(step, f"chain ends at '{common_name(chain[-1])}', which is not "
                                          "the pinned root")
    links = list(chain[:-1])
    if not links:
        raise CertificateChainError(step, "chain holds only the root")
    for cert, issuer in zip(links, [*links[1:], root], strict=True):
        check_issued_by(cert, issuer, step)
        check_validity(cert, at, step)


def check_crl(crl: x509.CertificateRevocationList, issuer: x509.Certificate,
              at: datetime, step: str) -> None:
    """A CRL must be issued and signed by `issuer` and current at `at`."""
    name = common_name(issuer)
    try:
        if crl.issuer != issuer.subject:
            raise CrlError(step, f"CRL issuer is not '{name}'")
        valid = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except DECODE_ERRORS:
        raise CrlError(step, f"CRL of '{name}' does not decode") from None
    if not valid:
        raise CrlError(step, f"CRL signature does not verify with the key of '{name}'")
    start, end = crl.last_update_utc, crl.next_update_utc
    if end is None or not start <= at <= end:
        shown = end.isoformat() if end else "(none)"
        raise ExpiredError(step, f"CRL of '{name}' is valid {start.isoformat()}..{shown} "
                                 f"(thisUpdate..nextUpdate), not at {at.isoformat()}")


def check_not_revoked(cert: x509.Certificate, crl: x509.CertificateRevocationList,
                      step: str) -> None:
    """Refuse a certificate whose serial number the CRL lists."""
    try:
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    except DECODE_ERRORS:
        raise CrlError(step, "a CRL entry does not decode") from None
    if entry is not None:
        raise RevokedError(step, f"certificate '{common_name(cert)}' (serial "
                                 f"{cert.serial_number:x}) is revoked by its issuer's CRL")
