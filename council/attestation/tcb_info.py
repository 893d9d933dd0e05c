"""TCB info (v3) and QE identity (v2) documents, parsed after their signature verified.

Implements docs/attestation.md, steps (7) and (8): the fields of Intel's PCS JSON that
verification uses, as frozen values. Field names follow Intel's JSON; hex fields become
bytes; dates become aware UTC datetimes. Any missing or ill-typed field raises
CollateralFormatError naming the document and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from council.attestation.errors import CollateralFormatError

TCB_STATUSES = frozenset({
    "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
    "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked",
})
MODULE_STATUSES = frozenset({"UpToDate", "OutOfDate", "Revoked"})


@dataclass(frozen=True)
class TcbLevel:
    """One platform TCB level: component SVNs, PCESVN and the status they earn."""

    sgx_components: tuple[int, ...]
    pce_svn: int
    tdx_components: tuple[int, ...] | None
    status: str
    tcb_date: datetime
    advisory_ids: tuple[str, ...]


@dataclass(frozen=True)
class IsvLevel:
    """One ISVSVN-indexed level of an enclave or TDX module identity."""

    isv_svn: int
    status: str
    advisory_ids: tuple[str, ...]


@dataclass(frozen=True)
class TdxModuleIdentity:
    """The expected TDX module signer and attributes (`tdxModule` or one `TDX_xx` entry)."""

    id: str
    mrsigner: bytes
    attributes: bytes
    attributes_mask: bytes
    levels: tuple[IsvLevel, ...]


@dataclass(frozen=True)
class TcbInfo:
    """Intel TCB info for one FMSPC (SGX or TDX)."""

    id: str
    version: int
    issue_date: datetime
    next_update: datetime
    fmspc: bytes
    pce_id: bytes
    tcb_evaluation_data_number: int
    levels: tuple[TcbLevel, ...]
    tdx_module: TdxModuleIdentity | None
    tdx_module_identities: tuple[TdxModuleIdentity, ...]


@dataclass(frozen=True)
class QeIdentity:
    """Intel's identity of the (TD) quoting enclave."""

    id: str
    version: int
    issue_date: datetime
    next_update: datetime
    miscselect: int
    miscselect_mask: int
    attributes: bytes
    attributes_mask: bytes
    mrsigner: bytes
    isv_prod_id: int
    levels: tuple[IsvLevel, ...]


class _Fields:
    """Typed access to a JSON object, naming the document and path on failure."""

    def __init__(self, obj: object, where: str, step: str) -> None:
        if not isinstance(obj, dict):
            raise CollateralFormatError(step, f"{where}: not a JSON object")
        self.obj, self.where, self.step = obj, where, step

    def fail(self, key: str, rule: str) -> CollateralFormatError:
        return CollateralFormatError(self.step, f"{self.where}.{key}: {rule}")

    def get(self, key: str, kind: type, default: object = ...) -> object:
        if key not in self.obj:
            if default is not ...:
                return default
            raise self.fail(key, "missing")
        value = self.obj[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"not a {kind.__name__}")
        return value

    def uint(self, key: str, maximum: int = 0xFFFF) -> int:
        value = self.get(key, int)
        assert isinstance(value, int)
        if not 0 <= value <= maximum:
            raise self.fail(key, f"{value} outside 0..{maximum}")
        return value

    def text(self, key: str) -> str:
        value = self.get(key, str)
        assert isinstance(value, str)
        return value

    def hex(self, key: str, size: int) -> bytes:
        value_text = self.text(key)
        try:
            value = bytes.fromhex(value_text)
        except ValueError:
            raise self.fail(key, "not hex") from None
        if len(value) != size:
            raise self.fail(key, f"{len(value)} bytes, want {size}")
        return value

    def date(self, key: str) -> datetime:
        value_text = self.text(key)
        try:
            value = datetime.fromisoformat(value_text.replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(key, "not an ISO-8601 time") from None
        if value.tzinfo is None:
            raise self.fail(key, "time without a zone")
        return value

    def array(self, key: str, default: object = ...) -> list[object]:
        value = self.get(key, list, default)
        assert isinstance(value, list)
        return value

    def status(self, key: str, allowed: frozenset[str]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self.fail(key, f"unknown status {value!r}")
        return value

    def advisories(self) -> tuple[str, ...]:
        ids = self.array("advisoryIDs", [])
        if not all(isinstance(i, str) for i in ids):
            raise self.fail("advisoryIDs", "not a list of strings")
        return tuple(str(i) for i in ids)

    def sub(self, key: str) -> _Fields:
        return _Fields(self.get(key, dict), f"{self.where}.{key}", self.step)

    def items(self, key: str, default: object = ...) -> list[_Fields]:
        return [_Fields(v, f"{self.where}.{key}[{i}]", self.step)
                for i, v in enumerate(self.array(key, default))]


def _load(body: bytes, where: str, step: str) -> _Fields:
    try:
        return _Fields(json.loads(body), where, step)
    except (ValueError, RecursionError) as exc:
        raise CollateralFormatError(step, f"{where}: not JSON ({exc})") from None


def parse_tcb_info(body: bytes) -> TcbInfo:
    """Parse the (verified) `tcbInfo` member; only version 3 (SGX and TDX) is supported."""
    f = _load(body, "tcbInfo", "tcb_info")
    version = f.uint("version")
    if version != 3:
        raise f.fail("version", f"{version} unsupported (want 3)")
    tee_id = f.text("id")
    if tee_id not in ("SGX", "TDX"):
        raise f.fail("id", f"{tee_id!r} unknown (want SGX or TDX)")
    tdx = tee_id == "TDX"
    return TcbInfo(
        id=tee_id, version=version, issue_date=f.date("issueDate"), next_update=f.date("nextUpdate"),
        fmspc=f.hex("fmspc", 6), pce_id=f.hex("pceId", 2),
        tcb_evaluation_data_number=f.uint("tcbEvaluationDataNumber", 2**32 - 1),
        levels=tuple(_tcb_level(level, tdx) for level in f.items("tcbLevels")),
        tdx_module=_module(f.sub("tdxModule"), "TDX module") if tdx else None,
        tdx_module_identities=tuple(_module(m, m.text("id")) for m in f.items("tdxModuleIdentities", []))
        if tdx else (),
    )


def _tcb_level(f: _Fields, tdx: bool) -> TcbLevel:
    tcb = f.sub("tcb")
    sgx = _components(tcb, "sgxtcbcomponents")
    return TcbLevel(
        sgx_components=sgx, pce_svn=tcb.uint("pcesvn"),
        tdx_components=_components(tcb, "tdxtcbcomponents") if tdx else None,
        status=f.status("tcbStatus", TCB_STATUSES), tcb_date=f.date("tcbDate"),
        advisory_ids=f.advisories(),
    )


def _components(tcb: _Fields, key: str) -> tuple[int, ...]:
    items = tcb.items(key)
    if len(items) != 16:
        raise tcb.fail(key, f"{len(items)} components, want 16")
    return tuple(item.uint("svn", 255) for item in items)


def _module(f: _Fields, module_id: str) -> TdxModuleIdentity:
    return TdxModuleIdentity(
        id=module_id, mrsigner=f.hex("mrsigner", 48), attributes=f.hex("attributes", 8),
        attributes_mask=f.hex("attributesMask", 8),
        levels=tuple(_isv_level(level, MODULE_STATUSES) for level in f.items("tcbLevels", [])),
    )


def _isv_level(f: _Fields, allowed: frozenset[str]) -> IsvLevel:
    return IsvLevel(f.sub("tcb").uint("isvsvn"), f.status("tcbStatus", allowed), f.advisories())


def parse_qe_identity(body: bytes) -> QeIdentity:
    """Parse the (verified) `enclaveIdentity` member; only version 2 is supported."""
    f = _load(body, "enclaveIdentity", "qe_identity")
    version = f.uint("version")
    if version != 2:
        raise f.fail("version", f"{version} unsupported (want 2)")
    return QeIdentity(
        id=f.text("id"), version=version, issue_date=f.date("issueDate"),
        next_update=f.date("nextUpdate"),
        miscselect=int.from_bytes(f.hex("miscselect", 4), "big"),
        miscselect_mask=int.from_bytes(f.hex("miscselectMask", 4), "big"),
        attributes=f.hex("attributes", 16), attributes_mask=f.hex("attributesMask", 16),
        mrsigner=f.hex("mrsigner", 32), isv_prod_id=f.uint("isvprodid"),
        levels=tuple(_isv_level(level, TCB_STATUSES) for level in f.items("tcbLevels")),
    )
