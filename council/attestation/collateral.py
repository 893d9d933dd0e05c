"""Quote collateral read from a PCCS-style folder, kept as the exact bytes Intel signed.

Implements docs/attestation.md, "Collateral folder". The TCB info and QE identity
signatures cover the raw bytes of the `tcbInfo` / `enclaveIdentity` member value as it
stands in the file, so `signed_document` cuts that span out of the file instead of
re-serializing parsed JSON. Nothing here is trusted yet: `verify.py` checks it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from council.attestation.errors import CollateralFormatError
from council.attestation.pki import DECODE_ERRORS

TCB_INFO = "tcb_info.json"
TCB_INFO_CHAIN = "tcb_info_issuer_chain.pem"
QE_IDENTITY = "qe_identity.json"
QE_IDENTITY_CHAIN = "qe_identity_issuer_chain.pem"
PCK_CRL = "pck_crl.der"
PCK_CRL_CHAIN = "pck_crl_issuer_chain.pem"
ROOT_CA_CRL = "root_ca_crl.der"


@dataclass(frozen=True)
class SignedDocument:
    """A signed JSON collateral document: the signed member's raw bytes and the signature."""

    member: str
    body: bytes
    signature: bytes
    source: str


@dataclass(frozen=True)
class Collateral:
    """Everything besides the quote that verification needs (not yet verified)."""

    tcb_info: SignedDocument
    tcb_info_chain: tuple[x509.Certificate, ...]
    qe_identity: SignedDocument
    qe_identity_chain: tuple[x509.Certificate, ...]
    pck_crl: x509.CertificateRevocationList
    root_ca_crl: x509.CertificateRevocationList | None
    pck_crl_chain: tuple[x509.Certificate, ...] = ()


def load_collateral(folder: Path) -> Collateral:
    """Read the collateral files of `folder` (layout in docs/attestation.md)."""
    folder = Path(folder)
    return Collateral(
        tcb_info=signed_document(_read(folder, TCB_INFO, "tcb_info"), "tcbInfo", TCB_INFO, "tcb_info"),
        tcb_info_chain=load_chain(_read(folder, TCB_INFO_CHAIN, "tcb_info"), TCB_INFO_CHAIN, "tcb_info"),
        qe_identity=signed_document(_read(folder, QE_IDENTITY, "qe_identity"), "enclaveIdentity",
                                    QE_IDENTITY, "qe_identity"),
        qe_identity_chain=load_chain(_read(folder, QE_IDENTITY_CHAIN, "qe_identity"),
                                     QE_IDENTITY_CHAIN, "qe_identity"),
        pck_crl=load_crl(_read(folder, PCK_CRL, "pck_crl"), PCK_CRL, "pck_crl"),
        root_ca_crl=_optional_crl(folder),
        pck_crl_chain=_optional_chain(folder),
    )


def _read(folder: Path, name: str, step: str) -> bytes:
    try:
        return (folder / name).read_bytes()
    except OSError as exc:
        raise CollateralFormatError(step, f"cannot read {name}: {exc.strerror}") from None


def _optional_crl(folder: Path) -> x509.CertificateRevocationList | None:
    if not (folder / ROOT_CA_CRL).exists():
        return None
    return load_crl(_read(folder, ROOT_CA_CRL, "root_crl"), ROOT_CA_CRL, "root_crl")


def _optional_chain(folder: Path) -> tuple[x509.Certificate, ...]:
    if not (folder / PCK_CRL_CHAIN).exists():
        return ()
    return load_chain(_read(folder, PCK_CRL_CHAIN, "pck_crl"), PCK_CRL_CHAIN, "pck_crl")


def load_chain(pem: bytes, source: str, step: str) -> tuple[x509.Certificate, ...]:
    """PEM certificates, leaf first."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
        for cert in certs:
            _ = cert.subject, cert.issuer, cert.extensions, cert.public_key()
    except (*DECODE_ERRORS,) as exc:
        raise CollateralFormatError(step, f"{source}: not a PEM certificate chain ({exc})") from None
    return tuple(certs)


def load_crl(data: bytes, source: str, step: str) -> x509.CertificateRevocationList:
    """A DER (or PEM) CRL."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except DECODE_ERRORS as exc:
        raise CollateralFormatError(step, f"{source}: not a CRL ({exc})") from None


def signed_document(data: bytes, member: str, source: str, step: str) -> SignedDocument:
    """Cut the raw bytes of `member` and the hex `signature` out of a collateral JSON file."""
    try:
        text = data.decode("utf-8")
        spans = _top_level_spans(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CollateralFormatError(step, f"{source}: not a JSON object ({exc})") from None
    if member not in spans or "signature" not in spans:
        raise CollateralFormatError(step, f"{source}: needs members {member!r} and 'signature'")
    start, end = spans[member]
    signature = json.loads(text[slice(*spans["signature"])])
    if not isinstance(signature, str) or len(signature) != 128:
        raise CollateralFormatError(step, f"{source}: signature is not 64 bytes of hex")
    try:
        raw_signature = bytes.fromhex(signature)
    except ValueError:
        raise CollateralFormatError(step, f"{source}: signature is not hex") from None
    return SignedDocument(member, text[start:end].encode("utf-8"), raw_signature, source)


def _top_level_spans(text: str) -> dict[str, tuple[int, int]]:
    """Map each member of the top-level JSON object to the (start, end) of its value text."""
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicates)
    ws = " \t\r\n"
    pos = _skip(text, 0, ws)
    if text[pos : pos + 1] != "{":
        raise ValueError("does not start with '{'")
    spans: dict[str, tuple[int, int]] = {}
    pos = _skip(text, pos + 1, ws)
    while text[pos : pos + 1] != "}":
        key, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, pos, ws)
        if not isinstance(key, str) or text[pos : pos + 1] != ":" or key in spans:
            raise ValueError(f"bad or duplicate member name at character {pos}")
        start = _skip(text, pos + 1, ws)
        _, end = decoder.raw_decode(text, start)
        spans[key] = (start, end)
        pos = _skip(text, end, ws)
        if text[pos : pos + 1] == ",":
            pos = _skip(text, pos + 1, ws)
        elif text[pos : pos + 1] != "}":
            raise ValueError(f"expected ',' or '}}' at character {pos}")
    if _skip(text, pos + 1, ws) != len(text):
        raise ValueError("trailing data after the object")
    return spans


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result
