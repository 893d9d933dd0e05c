"""The pinned trust anchor: Intel SGX Root CA, shipped in this package.

The certificate is checked against its SHA-256 fingerprint every time it is loaded, so a
changed file is an error rather than a new trust anchor.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from cryptography import x509

from council.attestation.errors import CertificateChainError

INTEL_SGX_ROOT_CA_SHA256 = "44A0196B2B99F889B8E149E95B807A350E7424964399E885A7CBB8CCFAB674D3"
_ROOT_FILE = Path(__file__).with_name("intel_sgx_root_ca.der")


def load_root(der: bytes, fingerprint: str | None = None) -> x509.Certificate:
    """A DER root certificate, optionally required to have a SHA-256 `fingerprint` (hex)."""
    if fingerprint is not None and hashlib.sha256(der).hexdigest().upper() != fingerprint.upper():
        raise CertificateChainError("root_ca", "root certificate does not have the pinned "
                                               f"SHA-256 fingerprint {fingerprint}")
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise CertificateChainError("root_ca", "root certificate is not DER X.509") from None


@cache
def pinned_root() -> x509.Certificate:
    """The Intel SGX Root CA pinned in this package (fingerprint checked)."""
    return load_root(_ROOT_FILE.read_bytes(), INTEL_SGX_ROOT_CA_SHA256)
