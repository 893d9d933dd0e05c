"""Encrypted shares and verifiable complaints (protocol.md, building blocks).

A receiver whose share is undecryptable or fails the Feldman check publishes `K = p_j·E` with a
DLEQ proof that log_G(P_j) == log_E(K). Anyone can then open that one ciphertext and judge: either
the dealer cheated (the dealer is disqualified) or the complaint is false (the complainer is blamed).
The complaint reveals nothing about the complainer's key beyond that one ciphertext.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.crypto import dleq, ecies, vss
from council.crypto.bn254 import vss as bn_vss
from council.crypto.bn254.curve import Fr
from council.crypto.dleq import DleqProof
from council.crypto.ecies import EciesCiphertext
from council.crypto.group import G, Point, RandomSource, Scalar
from council.crypto.hashing import encode_parts
from council.crypto.messages import Complaint, Dealing
from council.errors import AuthenticationFailed, DecodeError, ProofError

SHARE_INFO = b"KEYCOUNCIL-V1-SHARE"
COMPLAINT = "COMPLAINT"


def share_info(spec_digest: bytes, dealer: int, recipient: int) -> bytes:
    """ECIES info and associated data of one encrypted share."""
    return SHARE_INFO + encode_parts(spec_digest, dealer.to_bytes(2, "big"), recipient.to_bytes(2, "big"))


def encrypt_share(spec_digest: bytes, dealer: int, recipient: int, recipient_key: Point, share: Scalar,
                  rng: RandomSource | None = None, bn254_share: Fr | None = None) -> EciesCiphertext:
    """One ciphertext per recipient: the P-256 share, then the BN254 share if the dealing has one."""
    plain = share.to_bytes() + (bn254_share.to_bytes() if bn254_share is not None else b"")
    return ecies.seal(recipient_key, plain, share_info(spec_digest, dealer, recipient), rng)


def parse_shares(plain: bytes, dealer: int, bn254: bool) -> tuple[Scalar, Fr | None]:
    """The plaintext of one encrypted share: 32 bytes, or 64 when the dealing has a BN254 part."""
    if not bn254:
        return Scalar.from_bytes(plain, f"share from dealer {dealer}"), None
    if len(plain) != 64:
        raise DecodeError(f"share from dealer {dealer}: expected 64 bytes (P-256 and BN254 shares), got {len(plain)}")
    return (Scalar.from_bytes(plain[:32], f"share from dealer {dealer}"),
            Fr.from_bytes(plain[32:], f"BN254 share from dealer {dealer}"))


def decrypt_shares(spec_digest: bytes, dealer: int, recipient: int, secret: Scalar, dealing: Dealing,
                   recipient_key: Point | None = None) -> tuple[Scalar, Fr | None]:
    """Both shares of one dealing for `recipient`; raise AuthenticationFailed or DecodeError."""
    plain = ecies.open_(secret, dealing.encrypted_shares[recipient], share_info(spec_digest, dealer, recipient),
                        recipient_key)
    return parse_shares(plain, dealer, dealing.bn254 is not None)


def decrypt_share(spec_digest: bytes, dealer: int, recipient: int, secret: Scalar,
                  ciphertext: EciesCiphertext, recipient_key: Point | None = None) -> Scalar:
    """Raise AuthenticationFailed or DecodeError if the share does not decrypt to a scalar."""
    plain = ecies.open_(secret, ciphertext, share_info(spec_digest, dealer, recipient), recipient_key)
    return Scalar.from_bytes(plain, f"share from dealer {dealer}")


def _ctx(spec_digest: bytes, dealer: int, complainer: int) -> bytes:
    return encode_parts(spec_digest, dealer.to_bytes(2, "big"), complainer.to_bytes(2, "big"))


def make_complaint(spec_digest: bytes, dealer: int, complainer: int, secret: Scalar,
                   dealing: Dealing, rng: RandomSource | None = None) -> Complaint:
    """Publish `K = p_j·E` with its proof; it opens only this ciphertext. If the ciphertext does
    not even decode (publicly checkable), the complaint carries K = G and an empty proof."""
    try:
        ciphertext = dealing.encrypted_shares[complainer]
    except DecodeError:
        return Complaint(dealer, G, DleqProof(Scalar(0), Scalar(0)))
    shared, proof = dleq.prove(COMPLAINT, _ctx(spec_digest, dealer, complainer), secret,
                               ciphertext.ephemeral, rng)
    return Complaint(dealer, shared, proof)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one complaint: who is at fault, and why."""

    dealer_at_fault: bool
    reason: str


def judge_complaint(spec_digest: bytes, complainer: int, complainer_key: Point, complaint: Complaint,
                    dealing: Dealing) -> Verdict:
    """Anyone can run this: open the complained-about share with K and check it."""
    dealer, commitments = complaint.dealer, dealing.commitments
    try:
        ciphertext = dealing.encrypted_shares[complainer]
    except DecodeError:
        return Verdict(True, f"share for member {complainer} is not a valid ciphertext (complaint upheld)")
    try:
        dleq.verify(COMPLAINT, _ctx(spec_digest, dealer, complainer), complainer_key,
                    ciphertext.ephemeral, complaint.shared, complaint.proof)
    except ProofError:
        return Verdict(False, f"member {complainer}'s complaint against dealer {dealer} has an invalid proof")
    try:
        plain = ecies.open_with_shared(complaint.shared, ciphertext, complainer_key,
                                       share_info(spec_digest, dealer, complainer))
        share, bn_share = parse_shares(plain, dealer, dealing.bn254 is not None)
    except (AuthenticationFailed, DecodeError):
        return Verdict(True, f"share for member {complainer} does not decrypt (complaint upheld)")
    if not vss.share_is_valid(complainer, share, commitments):
        return Verdict(True, f"share for member {complainer} fails the Feldman check (complaint upheld)")
    if dealing.bn254 is not None and bn_share is not None and not bn_vss.share_is_valid(
            complainer, bn_share, dealing.bn254.commitments):
        return Verdict(True, f"BN254 share for member {complainer} fails the Feldman check (complaint upheld)")
    return Verdict(False, f"member {complainer} complained falsely: dealer {dealer}'s share is valid")
