"""The sealing identity: an Ed25519 signing key and the evidence that binds it to a TEE.

Implements docs/dump-format.md, "Sealer evidence" and "Signatures". On disk (`signer new`), a
folder holds `signer.key` (PKCS#8 PEM, mode 0600), `evidence.type` and `evidence.data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from council.errors import StorageError
from dumps.atomic import write_file_atomic
from dumps.errors import DumpExists
from dumps.evidence import check_binding, is_insecure, simulated_evidence
from dumps.header import Evidence

KEY_FILE = "signer.key"
EVIDENCE_TYPE_FILE = "evidence.type"
EVIDENCE_DATA_FILE = "evidence.data"


@dataclass(frozen=True)
class SealingIdentity:
    """A sealer: its private signing key (never printed) and its attestation evidence."""

    private_key: Ed25519PrivateKey
    evidence: Evidence

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key that goes into the header."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def insecure(self) -> bool:
        """True when the evidence is simulated."""
        return is_insecure(self.evidence)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature (64 bytes) over a complete, domain-separated message."""
        return self.private_key.sign(message)

    def __repr__(self) -> str:
        return f"SealingIdentity(public_key={self.public_key.hex()[:16]}…, evidence={self.evidence.type})"

    @classmethod
    def simulated(cls, private_key: Ed25519PrivateKey | None = None) -> SealingIdentity:
        """A new (or given) key with INSECURE simulated evidence, for development and tests."""
        key = private_key or Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(key, simulated_evidence(public))

    def save(self, folder: Path) -> None:
        """Write the identity into `folder` (created 0700 if needed); never overwrites."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if (folder / KEY_FILE).exists():
            raise DumpExists(f"{folder / KEY_FILE}: a signing key already exists; refusing to overwrite")
        pem = self.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        write_file_atomic(folder / EVIDENCE_TYPE_FILE, self.evidence.type.encode() + b"\n", 0o644)
        write_file_atomic(folder / EVIDENCE_DATA_FILE, self.evidence.data, 0o644)
        write_file_atomic(folder / KEY_FILE, pem, 0o600)

    @classmethod
    def load(cls, folder: Path) -> SealingIdentity:
        """Read an identity folder; the evidence must bind the key (StorageError otherwise)."""
        try:
            pem = (folder / KEY_FILE).read_bytes()
            evidence = Evidence((folder / EVIDENCE_TYPE_FILE).read_text().strip(),
                                (folder / EVIDENCE_DATA_FILE).read_bytes())
        except OSError as exc:
            raise StorageError(f"{folder}: not a signer folder ({exc.strerror}: {exc.filename})") from None
        try:
            key = load_pem_private_key(pem, password=None)
        except ValueError:
            raise StorageError(f"{folder / KEY_FILE}: not a PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise StorageError(f"{folder / KEY_FILE}: not an Ed25519 key")
        identity = cls(key, evidence)
        check_binding(evidence, identity.public_key)
        return identity
