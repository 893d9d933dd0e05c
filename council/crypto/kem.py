"""Threshold ElGamal KEM, CCA-safe through a proof of knowledge of `r` bound to the label.

Steps (docs/protocol.md, "Encrypting to the committee"): (1) the caller gives the label, the
canonical bytes identifying the dump; (2) random `r`, `R = r·G`, `Z = r·Y`; (3) a Schnorr proof of
knowledge of `r` bound to `label` and `R`; (4) data key = HKDF-SHA256(ikm = Z, salt = R ‖ Y,
info = "KEYCOUNCIL-V1-DUMP" ‖ SHA-256(label)). Members refuse ciphertexts whose proof fails, so
`R + G` under another label (a mauled ciphertext) never gets a decryption share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from council.crypto import schnorr
from council.crypto.group import P256, POINT_LEN, Point, RandomSource, Scalar
from council.crypto.schnorr import SCHNORR_LEN, SchnorrProof
from council.errors import DecodeError

KEM_POK = "KEM-POK"
DATA_KEY_INFO = b"KEYCOUNCIL-V1-DUMP"
DATA_KEY_LEN = 32
KEM_CIPHERTEXT_LEN = POINT_LEN + SCHNORR_LEN


@dataclass(frozen=True, slots=True)
class KemCiphertext:
    """`R = r·G` and the proof of knowledge of `r` bound to the label."""

    r_point: Point
    proof: SchnorrProof

    def to_bytes(self) -> bytes:
        return self.r_point.to_bytes() + self.proof.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "kem ciphertext") -> KemCiphertext:
        if len(data) != KEM_CIPHERTEXT_LEN:
            raise DecodeError(f"{field}: expected {KEM_CIPHERTEXT_LEN} bytes, got {len(data)}")
        r_point = Point.from_bytes(data[:POINT_LEN], f"{field}.R")
        return cls(r_point, SchnorrProof.from_bytes(data[POINT_LEN:], f"{field}.proof"))


def encapsulate(public_key: Point, label: bytes,
                rng: RandomSource | None = None) -> tuple[KemCiphertext, bytes]:
    """Return the ciphertext and the 32-byte data key for `label` under the committee key."""
    r = Scalar.random(rng)
    r_point = P256.base_mul(r)
    proof = schnorr.prove(KEM_POK, label, r, r_point, rng)
    return KemCiphertext(r_point, proof), derive_data_key(public_key * r, r_point, public_key, label)


def verify_ciphertext(ciphertext: KemCiphertext, label: bytes) -> None:
    """Raise ProofError unless the ciphertext's proof is valid for exactly this label.

    A member asked again and again to decrypt the same dump checks its ciphertext once: the
    result is kept for the exact (ciphertext bytes, label) that verified, never for a failure."""
    _proof_checked(ciphertext.to_bytes(), bytes(label))


@lru_cache(maxsize=64)
def _proof_checked(data: bytes, label: bytes) -> None:
    """The check itself, on the ciphertext decoded from its canonical bytes (the cache's key)."""
    ciphertext = KemCiphertext.from_bytes(data)
    schnorr.verify(KEM_POK, label, ciphertext.r_point, ciphertext.proof, what="KEM ciphertext")


def derive_data_key(shared: Point, r_point: Point, public_key: Point, label: bytes) -> bytes:
    """Step (4): HKDF-SHA256 from the shared point Z = r·Y = x·R."""
    info = DATA_KEY_INFO + hashlib.sha256(label).digest()
    hkdf = HKDF(hashes.SHA256(), DATA_KEY_LEN, r_point.to_bytes() + public_key.to_bytes(), info)
    return hkdf.derive(shared.to_bytes())


def decapsulate(ciphertext: KemCiphertext, label: bytes, secret: Scalar, public_key: Point) -> bytes:
    """Decapsulate with a whole secret (tests, or a key rebuilt on one air-gapped machine)."""
    verify_ciphertext(ciphertext, label)
    return derive_data_key(ciphertext.r_point * secret, ciphertext.r_point, public_key, label)
