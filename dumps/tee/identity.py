"""A new sealing identity whose key is bound to the TEE by a quote from the platform.

The key is made first, then the platform is asked for a quote over its binding. Before the
evidence is kept, the quote is parsed and its report data compared with what was asked for: a
platform that answers with a stale or foreign quote is caught here, at `signer new`, rather than
by every reader later. This check is a convenience, not the security: readers verify the quote and
the binding themselves (council/attestation), whatever the sealer claims.
"""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from council.attestation.errors import QuoteFormatError
from council.attestation.quote import Quote, parse_quote
from dumps.header import Evidence
from dumps.sealer import SealingIdentity
from dumps.tee.errors import TeeInterfaceError
from dumps.tee.provider import EVIDENCE_TYPES, EvidenceProvider, report_data_for


def obtain_evidence(provider: EvidenceProvider, public_key: bytes) -> tuple[Evidence, Quote]:
    """Ask `provider` for a quote binding `public_key`; check it carries that report data."""
    wanted = report_data_for(public_key)
    raw = provider.quote(wanted)
    try:
        quote = parse_quote(raw)
    except QuoteFormatError as exc:
        raise TeeInterfaceError(f"{provider.interface} returned {len(raw)} bytes that are not a "
                                f"DCAP quote: {exc}") from None
    if quote.tee != provider.tee:
        raise TeeInterfaceError(f"{provider.interface} returned a {quote.tee} quote, not {provider.tee}")
    if not hmac.compare_digest(quote.body.report_data, wanted):
        raise TeeInterfaceError(
            f"{provider.interface} returned a quote whose report data is not the one written "
            f"(got {quote.body.report_data[:32].hex()}…, asked for {wanted[:32].hex()}…): it does "
            "not bind the new signing key; refusing to keep it")
    return Evidence(EVIDENCE_TYPES[provider.tee], raw), quote


def new_tee_identity(provider: EvidenceProvider) -> tuple[SealingIdentity, Quote]:
    """A fresh Ed25519 key and the platform's quote over its binding (nothing saved yet)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    evidence, quote = obtain_evidence(provider, public)
    return SealingIdentity(key, evidence), quote
