"""Attestation evidence of the sealing node: the key binding, `simulated` evidence, the hook.

Implements docs/dump-format.md, "Sealer evidence". The dump format only carries evidence (type +
bytes); checking `sgx-dcap` / `tdx-dcap` quotes is council/attestation's job, plugged in through an
`EvidenceChecker`. `simulated` evidence proves nothing and is marked INSECURE wherever it appears.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Final

from dumps.errors import EvidenceRefused
from dumps.header import Evidence

SIGNER_DOMAIN: Final = b"KEYCOUNCIL-V1-SIGNER"
SIMULATED: Final = "simulated"
KNOWN_TYPES: Final = frozenset({SIMULATED, "sgx-dcap", "tdx-dcap"})
INSECURE_NOTE: Final = "INSECURE: simulated evidence, no TEE attests this signing key"

EvidenceChecker = Callable[[Evidence, bytes], None]
"""`checker(evidence, sealer_public_key)`: return to admit, raise a KeycouncilError to refuse."""


def key_binding(public_key: bytes) -> bytes:
    """SHA-256("KEYCOUNCIL-V1-SIGNER" ‖ public key): what report data must start with."""
    return hashlib.sha256(SIGNER_DOMAIN + public_key).digest()


@functools.lru_cache(maxsize=64)
def simulated_evidence(public_key: bytes) -> Evidence:
    """A canonical JSON document binding `public_key`, typed `simulated` (INSECURE); kept per key,
    since a member compares every release's evidence with it (the result is immutable)."""
    doc = {"type": SIMULATED, "version": 1, "insecure": True, "note": INSECURE_NOTE,
           "public_key": public_key.hex(), "report_data": key_binding(public_key).hex()}
    return Evidence(SIMULATED, json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())


def is_insecure(evidence: Evidence) -> bool:
    """True for evidence that proves nothing about a TEE (type `simulated`)."""
    return evidence.type == SIMULATED


def check_binding(evidence: Evidence, public_key: bytes) -> None:
    """For `simulated`, check the document is canonical and binds this key; other types are
    passed to an EvidenceChecker (their quote format is not the dump format's business)."""
    if evidence.type != SIMULATED:
        return
    if evidence.data != simulated_evidence(public_key).data:
        raise EvidenceRefused(
            "simulated evidence does not bind the sealer's public key (report_data mismatch)")


def check_evidence(evidence: Evidence, public_key: bytes, checker: EvidenceChecker | None) -> str:
    """Check the binding, then ask `checker`; return a status word for reports."""
    check_binding(evidence, public_key)
    if checker is not None:
        checker(evidence, public_key)
    if is_insecure(evidence):
        return "simulated (INSECURE)"
    return "admitted" if checker is not None else "unchecked"


def refuse_simulated(evidence: Evidence, public_key: bytes) -> None:
    """An EvidenceChecker for production policies: `simulated` evidence is never admitted."""
    if is_insecure(evidence):
        raise EvidenceRefused("simulated evidence is not admitted by this policy (allow_simulated = false)")


def describe(evidence: Evidence) -> str:
    """A short label for listings: the type, with INSECURE for simulated evidence."""
    return f"{evidence.type} (INSECURE)" if is_insecure(evidence) else evidence.type
