"""A sealer card: the public part of a sealing identity, for operators to admit it in the council log.

    {"format": "keycouncil-sealer-card/1", "public_key": HEX, "evidence_type": "simulated" |
     "sgx-dcap" | "tdx-dcap", "evidence": BASE64}

Written by `keycouncil signer card DIR -o FILE`; read by `keycouncil log admit-sealer --sealer-card`.
Reading checks the shape, and that simulated evidence binds the key (a quote is verified by the
operator's command and by every approving member).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from council.errors import DecodeError
from dumps.evidence import check_binding
from dumps.header import Evidence
from dumps.sealer import SealingIdentity

FORMAT = "keycouncil-sealer-card/1"


@dataclass(frozen=True)
class SealerCard:
    """A sealer's public key and its attestation evidence."""

    public_key: bytes
    evidence: Evidence

    @classmethod
    def of(cls, identity: SealingIdentity) -> SealerCard:
        return cls(identity.public_key, identity.evidence)

    def to_json(self) -> dict[str, str]:
        return {"format": FORMAT, "public_key": self.public_key.hex(), "evidence_type": self.evidence.type,
                "evidence": base64.b64encode(self.evidence.data).decode()}

    @classmethod
    def load(cls, path: Path) -> SealerCard:
        """Read and check a card file; DecodeError naming the file and the field."""
        try:
            obj = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise DecodeError(f"{path}: not a readable JSON sealer card ({exc})") from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise DecodeError(f"{path}: format: expected {FORMAT!r}")
        try:
            key = bytes.fromhex(str(obj["public_key"]))
            evidence = Evidence(str(obj["evidence_type"]), base64.b64decode(str(obj["evidence"]), validate=True))
        except KeyError as exc:
            raise DecodeError(f"{path}: missing field {exc.args[0]!r}") from None
        except (ValueError, binascii.Error) as exc:
            raise DecodeError(f"{path}: public_key must be hex and evidence base64 ({exc})") from None
        if len(key) != 32:
            raise DecodeError(f"{path}: public_key: expected a 32-byte Ed25519 key (64 hex digits)")
        check_binding(evidence, key)
        return cls(key, evidence)
