"""Attestation errors: one class per thing a caller can do about a failed quote.

Every error carries the name of the verification step that failed (`step`), one of the
names in `STEPS` (numbered as in docs/attestation.md), so that the CLI and the admission
log can say *where* a quote was rejected. Messages name fields, offsets, certificates and
rules, never key material.
"""

from __future__ import annotations

from council.errors import AttestationError

#: The verification steps, in order; the index + 1 is the step number in docs/attestation.md.
STEPS: tuple[str, ...] = (
    "parse_quote",
    "root_ca",
    "root_crl",
    "pck_chain",
    "pck_crl",
    "pck_revocation",
    "tcb_info",
    "qe_identity",
    "pck_extension",
    "tdx_module",
    "qe_report_signature",
    "qe_report_data",
    "qe_identity_match",
    "quote_signature",
    "tcb_level",
)


def step_number(step: str) -> int:
    """The 1-based number of a verification step (0 for steps outside verification)."""
    return STEPS.index(step) + 1 if step in STEPS else 0


class QuoteVerificationError(AttestationError):
    """A quote, its collateral or its binding failed at a named step."""

    def __init__(self, step: str, message: str) -> None:
        number = step_number(step)
        prefix = f"({number}) {step}" if number else step
        super().__init__(f"{prefix}: {message}")
        self.step = step
        self.detail = message

    def diagnostics(self) -> str:
        """One paragraph for the CLI: the failed step and the broken rule."""
        return f"quote rejected at step {self}"


class QuoteFormatError(QuoteVerificationError):
    """The quote bytes do not parse: a length, a type or a version is wrong."""

    def __init__(self, field: str, offset: int, message: str) -> None:
        super().__init__("parse_quote", f"{field} at byte offset {offset}: {message}")
        self.field = field
        self.offset = offset


class CollateralFormatError(QuoteVerificationError):
    """A collateral file (TCB info, QE identity, CRL, issuer chain) is missing or malformed."""


class CertificateChainError(QuoteVerificationError):
    """A certificate chain does not lead to the pinned root, or a certificate is unfit."""


class RevokedError(QuoteVerificationError):
    """A certificate is listed in its issuer's CRL."""


class CrlError(QuoteVerificationError):
    """A CRL is not issued or signed by the expected CA."""


class ExpiredError(QuoteVerificationError):
    """The verification time lies outside a validity window (certificate, CRL, collateral)."""


class SignatureInvalid(QuoteVerificationError):
    """A signature (collateral, QE report, quote) does not verify."""


class IdentityMismatch(QuoteVerificationError):
    """The quote does not match the collateral: FMSPC, PCEID, QE identity, TDX module."""


class TcbError(QuoteVerificationError):
    """No TCB level matches the platform, or the matched TCB status is Revoked."""


class BindingMismatch(QuoteVerificationError):
    """The quote's report data does not commit to the expected sealer public key."""
