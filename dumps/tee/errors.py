"""Errors of the sealer-side TEE interfaces: the platform has none, or it misbehaved.

Both are `AttestationError`s (council/errors.py). Messages name the interface, the pseudo-file and
what the platform answered; never key bytes (report data is a public hash and may be shown).
"""

from __future__ import annotations

from council.errors import AttestationError


class NoTeeInterface(AttestationError):
    """The platform exposes no attestation interface for the requested TEE."""


class TeeInterfaceError(AttestationError):
    """An attestation pseudo-file could not be used, or the platform's answer is unusable."""


class ConcurrentReportWrite(TeeInterfaceError):
    """configfs-tsm: another writer changed the report entry while we used it (generation check)."""
