"""`inspect_dump`: a JSON-ready description of a dump, with its verification result, no key needed.

Fields parsed before verification are reported as such; the verdict says whether they can be
trusted. Simulated evidence is flagged INSECURE.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from council.errors import KeycouncilError
from dumps.evidence import EvidenceChecker, describe, is_insecure
from dumps.format import Trailer
from dumps.header import DumpHeader
from dumps.reader import file_size, open_regular, read_unverified_header, read_unverified_trailer
from dumps.verify import verify_dump


def header_fields(header: DumpHeader) -> dict[str, Any]:
    """The header as JSON-ready values (bytes as hex)."""
    return {
        "format_version": header.format_version, "app_id": header.app_id,
        "dump_version": header.dump_version, "previous_digest": header.previous_digest.hex(),
        "created_unix_ms": header.created_unix_ms, "key_id": header.key_id, "epoch": header.epoch,
        "kem_ciphertext": header.kem_ciphertext.hex(), "chunk_size": header.chunk_size,
        "sealer_public_key": header.sealer_public_key.hex(),
        "evidence": {"type": describe(header.evidence), "bytes": len(header.evidence.data),
                     "insecure": is_insecure(header.evidence)},
        "roster_digest": header.roster_digest.hex(),
    }


def inspect_dump(path: Path, evidence_checker: EvidenceChecker | None = None) -> dict[str, Any]:
    """Describe a dump; raises only if the header itself cannot be parsed."""
    with open_regular(path) as f:
        head = read_unverified_header(f)
        report: dict[str, Any] = {"file": str(path), "size": file_size(f),
                                  "header": header_fields(head.header)}
        try:
            trailer = read_unverified_trailer(f, file_size(f), head)
            report["trailer"] = {"plaintext_length": trailer.plaintext_length,
                                 f"chunks_{trailer.hash_name.lower().replace('-', '')}":
                                     trailer.chunks_digest.hex()}
            if isinstance(trailer, Trailer):
                report["trailer"]["plaintext_sha256"] = trailer.plaintext_sha256.hex()
        except KeycouncilError as exc:
            report["trailer"] = {"error": str(exc)}
    report["verification"] = _verdict(path, evidence_checker)
    if is_insecure(head.header.evidence):
        report["warning"] = "INSECURE: sealed with simulated evidence; no TEE attests the sealer"
    return report


def _verdict(path: Path, evidence_checker: EvidenceChecker | None) -> dict[str, Any]:
    try:
        dump = verify_dump(path, evidence_checker)
    except KeycouncilError as exc:
        return {"authentic": False, "error": type(exc).__name__, "message": str(exc)}
    return {"authentic": True, "digest": dump.digest.hex(), "evidence": dump.evidence_status}
