"""Encrypted state dumps: format, streaming seal and open, keyless verification, stores.

The format is specified in docs/dump-format.md. This module only re-exports the public API.
"""

from dumps.evidence import EvidenceChecker, refuse_simulated, simulated_evidence
from dumps.format import DEFAULT_CHUNK_SIZE, MAGIC
from dumps.header import DumpHeader, Evidence
from dumps.inspect import inspect_dump
from dumps.open import KeyProvider, OpenedDump, key_from_secret, open_dump
from dumps.seal import SealedDump, seal_dump, seal_stream
from dumps.sealer import SealingIdentity
from dumps.target import SealTarget
from dumps.verify import AuthenticDump, verify_dump

__all__ = [
    "DEFAULT_CHUNK_SIZE", "MAGIC", "AuthenticDump", "DumpHeader", "Evidence", "EvidenceChecker",
    "KeyProvider", "OpenedDump", "SealTarget", "SealedDump", "SealingIdentity", "inspect_dump",
    "key_from_secret", "open_dump", "refuse_simulated", "seal_dump", "seal_stream",
    "simulated_evidence", "verify_dump",
]
