"""TCB status of a platform, following Intel's Quote Verification Library (QVL).

Implements docs/attestation.md, steps (10), (13) and (15):
- TCB levels are taken in descending order of (SGX components, PCESVN[, TDX components]),
  and the first one the platform meets (every SVN >=) is selected;
- for TDX, TEE_TCB_SVN[0..1] are skipped when byte 1 (the TDX module version) is non-zero:
  the module is then judged by `tdxModuleIdentities` (`TDX_<version>`), by ISVSVN;
- an OutOfDate QE or module lowers the status, a Revoked one makes it Revoked;
- the advisories are the union of the selected TCB level's, module level's and QE level's.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.attestation.errors import IdentityMismatch, TcbError
from council.attestation.quote import EnclaveReport, TdReport
from council.attestation.sgx_ext import SgxExtension
from council.attestation.tcb_info import IsvLevel, QeIdentity, TcbInfo, TcbLevel, TdxModuleIdentity

_LOWERED = {
    "UpToDate": "OutOfDate",
    "SWHardeningNeeded": "OutOfDate",
    "ConfigurationNeeded": "OutOfDateConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded": "OutOfDateConfigurationNeeded",
}


@dataclass(frozen=True)
class TcbResult:
    """The outcome of step (15): the converged status and every advisory that applies."""

    status: str
    advisory_ids: tuple[str, ...]
    platform_level: TcbLevel
    module_level: IsvLevel | None
    qe_level: IsvLevel | None


def converge(status: str, other: str | None) -> str:
    """Lower a TCB status by a QE or TDX module status (QVL `convergeTcbStatusWith...`)."""
    if other == "Revoked":
        return "Revoked"
    if other is not None and other != "UpToDate":
        return _LOWERED.get(status, status)
    return status


def isv_level(levels: tuple[IsvLevel, ...], isv_svn: int) -> IsvLevel | None:
    """The first level (in document order) whose ISVSVN the given one reaches."""
    return next((level for level in levels if isv_svn >= level.isv_svn), None)


def qe_identity_match(report: EnclaveReport, identity: QeIdentity) -> IsvLevel | None:
    """Check the QE report against its identity; return its ISVSVN level (None = Revoked)."""
    step = "qe_identity_match"
    if report.misc_select & identity.miscselect_mask != identity.miscselect:
        raise IdentityMismatch(step, "QE MISCSELECT (masked) differs from the QE identity")
    masked = bytes(a & m for a, m in zip(report.attributes, identity.attributes_mask, strict=True))
    if masked != identity.attributes:
        raise IdentityMismatch(step, "QE ATTRIBUTES (masked) differ from the QE identity")
    if report.mr_signer != identity.mrsigner:
        raise IdentityMismatch(step, "QE MRSIGNER differs from the QE identity")
    if report.isv_prod_id != identity.isv_prod_id:
        raise IdentityMismatch(step, f"QE ISVPRODID {report.isv_prod_id}, identity says "
                                     f"{identity.isv_prod_id}")
    return isv_level(identity.levels, report.isv_svn)


def tdx_module_identity(td: TdReport, tcb_info: TcbInfo) -> TdxModuleIdentity:
    """Step (10): the module identity for TEE_TCB_SVN[1], checked against MRSIGNERSEAM."""
    step = "tdx_module"
    version = td.tee_tcb_svn[1]
    module = tcb_info.tdx_module
    if version > 0:
        wanted = f"TDX_{version:02X}"
        module = next((m for m in tcb_info.tdx_module_identities if m.id.upper() == wanted), None)
        if module is None:
            raise IdentityMismatch(step, f"TCB info has no TDX module identity {wanted}")
    if module is None:
        raise IdentityMismatch(step, "TCB info has no tdxModule")
    if td.mr_signer_seam != module.mrsigner:
        raise IdentityMismatch(step, f"MRSIGNERSEAM differs from the {module.id} signer")
    # Intel's QVL requires SEAMATTRIBUTES to be zero and equal to the module's attributes.
    if td.seam_attributes != module.attributes or any(td.seam_attributes):
        raise IdentityMismatch(step, f"SEAMATTRIBUTES differ from the {module.id} attributes")
    return module


def _sort_key(level: TcbLevel) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
    return level.sgx_components, level.pce_svn, level.tdx_components or ()


def _meets(have: tuple[int, ...] | bytes, want: tuple[int, ...], start: int = 0) -> bool:
    return all(have[i] >= want[i] for i in range(start, 16))


def select_levels(tcb_info: TcbInfo, ext: SgxExtension,
                  tee_tcb_svn: bytes | None) -> tuple[TcbLevel | None, TcbLevel | None]:
    """The SGX level and (for TDX) the TDX level the platform meets (QVL `matchTcbLevels`)."""
    sgx_level: TcbLevel | None = None
    start = 2 if tee_tcb_svn is not None and tee_tcb_svn[1] > 0 else 0
    for level in sorted(tcb_info.levels, key=_sort_key, reverse=True):
        if not (_meets(ext.tcb_components, level.sgx_components) and ext.pce_svn >= level.pce_svn):
            continue
        if tee_tcb_svn is None:
            return level, None
        sgx_level = sgx_level or level
        assert level.tdx_components is not None
        if _meets(tee_tcb_svn, level.tdx_components, start):
            return sgx_level, level
    return sgx_level, None


def evaluate_tcb(tcb_info: TcbInfo, ext: SgxExtension, body: EnclaveReport | TdReport,
                 qe_level: IsvLevel | None) -> TcbResult:
    """Step (15): select the TCB level, apply module and QE levels, collect advisories."""
    step = "tcb_level"
    tee_tcb_svn = body.tee_tcb_svn if isinstance(body, TdReport) else None
    sgx_level, tdx_level = select_levels(tcb_info, ext, tee_tcb_svn)
    if sgx_level is None:
        raise TcbError(step, "no TCB level of the TCB info matches the PCK certificate's SGX TCB")
    level, module_level = sgx_level, None
    status = sgx_level.status
    if isinstance(body, TdReport):
        if tdx_level is None:
            raise TcbError(step, "no TCB level of the TCB info matches the TD's TEE_TCB_SVN")
        level, module_level = tdx_level, _module_level(body, tcb_info)
        status = converge(tdx_level.status, module_level.status if module_level else None)
    qe_status = "Revoked" if qe_level is None else qe_level.status
    status = converge(status, qe_status)
    advisories = set(level.advisory_ids)
    for extra in (module_level, qe_level):
        advisories.update(extra.advisory_ids if extra else ())
    if status == "Revoked":
        raise TcbError(step, f"TCB status is Revoked (advisories: {', '.join(sorted(advisories)) or '-'})")
    return TcbResult(status, tuple(sorted(advisories)), level, module_level, qe_level)


def _module_level(td: TdReport, tcb_info: TcbInfo) -> IsvLevel | None:
    version, isv_svn = td.tee_tcb_svn[1], td.tee_tcb_svn[0]
    if version == 0:
        return None
    module = tdx_module_identity(td, tcb_info)
    level = isv_level(module.levels, isv_svn)
    if level is None:
        raise TcbError("tcb_level", f"no {module.id} TCB level matches module ISVSVN {isv_svn}")
    return level
