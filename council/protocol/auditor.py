"""The auditor card: a read-only client identity that members accept for queries only.

An auditor (monitoring, a dashboard, `council status` at 3 a.m.) holds a TLS client certificate
and nothing else that counts: its card is not in the roster, so it can sign no ceremony request
and no recovery request. Each member that should answer it keeps the card in `DIR/auditors/`
(`keycouncil member auditor add DIR CARD`); the member then accepts that certificate for the
read-only RPCs (`READ_ONLY_RPCS`) and refuses it, with PERMISSION_DENIED, for everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from council.errors import DecodeError

AUDITOR_CARD_FORMAT: Final = "keycouncil-auditor-card/1"
READ_ONLY_RPCS: Final = frozenset({"Status", "GetEpoch"})
"""What an auditor may call: status and the public epoch data (commit, signatures, Y_j)."""
_NAME: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class AuditorCard:
    """An auditor's public card: a name and a self-signed TLS client certificate (PEM)."""

    name: str
    tls_cert: str

    def to_json(self) -> dict[str, Any]:
        return {"format": AUDITOR_CARD_FORMAT, "name": self.name, "tls_cert": self.tls_cert}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> AuditorCard:
        if not isinstance(obj, dict) or obj.get("format") != AUDITOR_CARD_FORMAT:
            raise DecodeError(f"{where}: not an auditor card (format {AUDITOR_CARD_FORMAT!r})")
        name, cert = obj.get("name"), obj.get("tls_cert")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise DecodeError(f"{where}.name: expected 1..64 characters of [A-Za-z0-9._-]")
        if not isinstance(cert, str) or "BEGIN CERTIFICATE" not in cert:
            raise DecodeError(f"{where}.tls_cert: expected a PEM certificate")
        return cls(name, cert)
