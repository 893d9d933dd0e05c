"""X.509 checks for DCAP: chains to the pinned root, validity windows, CRLs.

Implements docs/attestation.md, steps (2)-(8) (the certificate parts). Chains are short
and fixed (leaf, Intel CA, root), so they are checked link by link with `cryptography`
rather than with a general path builder; the root must be byte-identical to the pinned one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from council.attestation.errors import (
    CertificateChainError,
    CrlError,
    ExpiredError,
    RevokedError,
)


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
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise CertificateChainError(step, f"'{common_name(issuer)}' is not a CA certificate")
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        raise CertificateChainError(step, f"certificate '{common_name(cert)}' is not signed by "
                                          f"'{common_name(issuer)}'") from None


def check_root(root: x509.Certificate, at: datetime, step: str) -> None:
    """The pinned root must be a self-signed CA valid at `at`."""
    check_issued_by(root, root, step)
    check_validity(root, at, step)


def check_chain(chain: Sequence[x509.Certificate], root: x509.Certificate,
                at: datetime, step: str) -> None:
    """Check a leaf-first chain ending at the pinned root: every link and window at `at`."""
    if not chain:
        raise CertificateChainError(step, "empty certificate chain")
    links = list(chain)
    if links[-1] == root:
        links.pop()
    elif links[-1].subject == links[-1].issuer:
        raise CertificateChainError(step, f"chain ends at '{common_name(links[-1])}', "
                                          "a root that is not the pinned one")
    if not links:
        raise CertificateChainError(step, "chain holds only the root")
    for cert, issuer in zip(links, [*links[1:], root], strict=True):
        check_issued_by(cert, issuer, step)
        check_validity(cert, at, step)


def check_crl(crl: x509.CertificateRevocationList, issuer: x509.Certificate,
              at: datetime, step: str) -> None:
    """A CRL must be issued and signed by `issuer` and current at `at`."""
    name = common_name(issuer)
    if crl.issuer != issuer.subject:
        raise CrlError(step, f"CRL issuer is not '{name}'")
    if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        raise CrlError(step, f"CRL signature does not verify with the key of '{name}'")
    start, end = crl.last_update_utc, crl.next_update_utc
    if end is None or not start <= at <= end:
        shown = end.isoformat() if end else "(none)"
        raise ExpiredError(step, f"CRL of '{name}' is valid {start.isoformat()}..{shown} "
                                 f"(thisUpdate..nextUpdate), not at {at.isoformat()}")


def check_not_revoked(cert: x509.Certificate, crl: x509.CertificateRevocationList,
                      step: str) -> None:
    """Refuse a certificate whose serial number the CRL lists."""
    if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
        raise RevokedError(step, f"certificate '{common_name(cert)}' (serial "
                                 f"{cert.serial_number:x}) is revoked by its issuer's CRL")
