"""Intel's SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1).

Implements docs/attestation.md, step (9). The extension is a DER SEQUENCE of
(OID, value) pairs: PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC,
SGX type and, on Platform CA certificates, platform instance and configuration. Only the
fields verification needs are kept; unknown entries are skipped, duplicates refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from council.attestation import der

SGX_EXTENSION_OID = "1.2.840.113741.1.13.1"
_PPID = SGX_EXTENSION_OID + ".1"
_TCB = SGX_EXTENSION_OID + ".2"
_PCEID = SGX_EXTENSION_OID + ".3"
_FMSPC = SGX_EXTENSION_OID + ".4"
_SGX_TYPE = SGX_EXTENSION_OID + ".5"
_PCESVN = _TCB + ".17"
_CPUSVN = _TCB + ".18"


@dataclass(frozen=True)
class SgxExtension:
    """What the PCK certificate says about the platform's TCB."""

    ppid: bytes
    tcb_components: tuple[int, ...]  # SGX TCB component SVNs 1..16
    pce_svn: int
    cpu_svn: bytes
    pce_id: bytes
    fmspc: bytes
    sgx_type: int


def sgx_extension_of(cert: x509.Certificate) -> SgxExtension:
    """Find and parse the SGX extension of a PCK certificate."""
    oid = x509.ObjectIdentifier(SGX_EXTENSION_OID)
    try:
        ext = cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        raise der.DerError("PCK certificate has no SGX extension") from None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):
        raise der.DerError("SGX extension was decoded as a known extension")
    return parse_sgx_extension(value.value)


def parse_sgx_extension(data: bytes) -> SgxExtension:
    """Parse the DER value of the SGX extension."""
    entries = _entries(der.read_single(data, der.SEQUENCE))
    for name in (_PPID, _TCB, _PCEID, _FMSPC, _SGX_TYPE):
        if name not in entries:
            raise der.DerError(f"SGX extension lacks {name}")
    components, pce_svn, cpu_svn = _parse_tcb(entries[_TCB])
    return SgxExtension(
        ppid=der.decode_octets(entries[_PPID], 16),
        tcb_components=components,
        pce_svn=pce_svn,
        cpu_svn=cpu_svn,
        pce_id=der.decode_octets(entries[_PCEID], 2),
        fmspc=der.decode_octets(entries[_FMSPC], 6),
        sgx_type=der.decode_uint(entries[_SGX_TYPE], der.ENUMERATED),
    )


def _entries(sequence: der.Tlv) -> dict[str, der.Tlv]:
    """The (OID, value) pairs of a SEQUENCE OF SEQUENCE, keyed by dotted OID."""
    entries: dict[str, der.Tlv] = {}
    for item in der.read_sequence(sequence):
        pair = der.read_sequence(item)
        if len(pair) != 2:
            raise der.DerError(f"SGX extension entry at offset {item.offset}: want (OID, value)")
        oid = der.decode_oid(pair[0])
        if oid in entries:
            raise der.DerError(f"SGX extension entry at offset {item.offset}: duplicate {oid}")
        entries[oid] = pair[1]
    return entries


def _parse_tcb(tcb: der.Tlv) -> tuple[tuple[int, ...], int, bytes]:
    entries = _entries(tcb)
    names = [f"{_TCB}.{i}" for i in range(1, 17)]
    for name in [*names, _PCESVN, _CPUSVN]:
        if name not in entries:
            raise der.DerError(f"SGX extension TCB lacks {name}")
    components = tuple(der.decode_uint(entries[name]) for name in names)
    if any(c > 255 for c in components):
        raise der.DerError("SGX extension TCB component SVN above 255")
    pce_svn = der.decode_uint(entries[_PCESVN])
    if pce_svn > 0xFFFF:
        raise der.DerError("SGX extension PCESVN above 65535")
    return components, pce_svn, der.decode_octets(entries[_CPUSVN], 16)
