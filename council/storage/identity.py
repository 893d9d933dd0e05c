"""Long-term identities of members and operators: signing key, encryption key, TLS key and cert.

Files under `identity/`: `signing.key` (Ed25519 seed, sealed), `encryption.key` (P-256 scalar,
sealed; members only), `tls.key` (PEM, sealed) and `tls.crt` (self-signed PEM, public). Peers are
pinned to the exact certificate listed in the roster, so certificates are self-signed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from council.crypto.group import P256, Point, Scalar
from council.crypto.signing import Signer
from council.errors import DecodeError, StorageError
from council.storage.files import Vault, read_file, write_atomic

TLS_NAME = "keycouncil.peer"
"""The DNS name in every certificate; clients pin certificates, so the name only satisfies TLS."""
CERT_DAYS = 3650


@dataclass(frozen=True)
class Identity:
    """Secret keys of one party (the encryption key is None for an operator)."""

    signer: Signer
    encryption_secret: Scalar | None
    tls_key_pem: bytes
    tls_cert_pem: bytes

    @property
    def encryption_key(self) -> Point:
        if self.encryption_secret is None:
            raise ValueError("an operator has no encryption key")
        return P256.base_mul(self.encryption_secret)

    @classmethod
    def generate(cls, name: str, with_encryption: bool) -> Identity:
        """Fresh keys and a self-signed TLS certificate for `name`."""
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return cls(Signer.generate(), Scalar.random() if with_encryption else None, pem,
                   self_signed_cert(name, key))

    def save(self, folder: Path, vault: Vault) -> None:
        """Write the identity files (secrets sealed, mode 0600)."""
        ident = folder / "identity"
        write_atomic(ident / "signing.key", vault.seal("signing-key", self.signer.seed()), secret=True)
        if self.encryption_secret is not None:
            write_atomic(ident / "encryption.key",
                         vault.seal("encryption-key", self.encryption_secret.to_bytes()), secret=True)
        write_atomic(ident / "tls.key", vault.seal("tls-key", self.tls_key_pem), secret=True)
        write_atomic(ident / "tls.crt", self.tls_cert_pem)

    @classmethod
    def load(cls, folder: Path, vault: Vault, with_encryption: bool) -> Identity:
        """Read and unseal the identity files, naming the file on any failure."""
        ident = folder / "identity"
        seed = _open(vault, ident / "signing.key", "signing-key")
        enc = None
        if with_encryption:
            path = ident / "encryption.key"
            try:
                enc = Scalar.from_bytes(_open(vault, path, "encryption-key"), str(path))
            except DecodeError as exc:
                raise StorageError(str(exc)) from None
        if len(seed) != 32:
            raise StorageError(f"{ident / 'signing.key'}: expected a 32-byte seed")
        return cls(Signer.from_seed(seed), enc, _open(vault, ident / "tls.key", "tls-key"),
                   read_file(ident / "tls.crt", "TLS certificate"))


def _open(vault: Vault, path: Path, purpose: str) -> bytes:
    return vault.open(purpose, read_file(path, purpose), str(path))


def self_signed_cert(name: str, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A self-signed certificate usable for TLS server and client authentication."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "keycouncil")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(TLS_NAME)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_der(pem: str | bytes, where: str) -> bytes:
    """The DER bytes of a PEM certificate (the form certificates are compared in)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    except ValueError:
        raise DecodeError(f"{where}: not a PEM certificate") from None
    return cert.public_bytes(serialization.Encoding.DER)
