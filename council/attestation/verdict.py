"""The outcome of verifying a quote, in the shape the admission policy and the CLI use.

A `Verdict` is a plain value: whether the quote verified (and if not, the failed step and
why), the TCB status and advisories, the debug flag, the measurements and report data.
A *simulated* verdict stands for a TEE run in simulation mode (development only): it has
measurements but never `verified`; only a policy with `allow_simulated` admits it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from council.attestation.quote import EnclaveReport, Quote, TdReport


@dataclass(frozen=True)
class Measurements:
    """What the enclave or TD is: SGX fields or TDX fields (the others stay None)."""

    mrenclave: bytes | None = None
    mrsigner: bytes | None = None
    isv_prod_id: int | None = None
    isv_svn: int | None = None
    mrtd: bytes | None = None
    rtmr0: bytes | None = None
    rtmr1: bytes | None = None
    rtmr2: bytes | None = None
    rtmr3: bytes | None = None
    mrseam: bytes | None = None
    mrsignerseam: bytes | None = None
    mrconfigid: bytes | None = None
    mrowner: bytes | None = None
    mrownerconfig: bytes | None = None
    td_attributes: bytes | None = None
    xfam: bytes | None = None
    tee_tcb_svn: bytes | None = None

    def to_json(self) -> dict[str, str | int]:
        """The fields that are set, bytes as lower-case hex."""
        out: dict[str, str | int] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.hex() if isinstance(value, bytes) else value
        return out


def measurements_of(body: EnclaveReport | TdReport) -> Measurements:
    """The measurements of a report body."""
    if isinstance(body, EnclaveReport):
        return Measurements(mrenclave=body.mr_enclave, mrsigner=body.mr_signer,
                            isv_prod_id=body.isv_prod_id, isv_svn=body.isv_svn)
    return Measurements(
        mrtd=body.mr_td, rtmr0=body.rtmr0, rtmr1=body.rtmr1, rtmr2=body.rtmr2, rtmr3=body.rtmr3,
        mrseam=body.mr_seam, mrsignerseam=body.mr_signer_seam, mrconfigid=body.mr_config_id,
        mrowner=body.mr_owner, mrownerconfig=body.mr_owner_config,
        td_attributes=body.td_attributes, xfam=body.xfam, tee_tcb_svn=body.tee_tcb_svn,
    )


@dataclass(frozen=True)
class Verdict:
    """What verification concluded about one quote at one time."""

    verified: bool
    tee: str | None = None
    quote_version: int | None = None
    tcb_status: str | None = None
    advisory_ids: tuple[str, ...] = ()
    debug_enclave: bool | None = None
    measurements: Measurements | None = None
    report_data: bytes | None = None
    fmspc: bytes | None = None
    verified_at: datetime | None = None
    failed_step: str | None = None
    message: str | None = None
    simulated: bool = False

    @classmethod
    def from_quote(cls, quote: Quote | None, **kwargs: object) -> Verdict:
        """A verdict carrying what the (parsed, maybe unverified) quote says about itself."""
        if quote is None:
            return cls(**kwargs)  # type: ignore[arg-type]
        return cls(tee=quote.tee, quote_version=quote.version, debug_enclave=quote.body.debug,
                   measurements=measurements_of(quote.body), report_data=quote.body.report_data,
                   **kwargs)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, object]:
        """One flat JSON object for the CLI (`keycouncil attest verify`)."""
        out: dict[str, object] = {
            "verified": self.verified, "tee": self.tee, "quote_version": self.quote_version,
            "tcb_status": self.tcb_status, "advisory_ids": sorted(self.advisory_ids),
            "debug_enclave": self.debug_enclave,
        }
        out.update(self.measurements.to_json() if self.measurements else {})
        out["report_data"] = self.report_data.hex() if self.report_data is not None else None
        out["fmspc"] = self.fmspc.hex().upper() if self.fmspc is not None else None
        out["verified_at"] = _iso(self.verified_at)
        if self.simulated:
            out["simulated"] = True
        if not self.verified:
            out["failed_step"], out["message"] = self.failed_step, self.message
        return out


def simulated_verdict(tee: str, measurements: Measurements, report_data: bytes,
                      at: datetime) -> Verdict:
    """A verdict for a TEE in simulation mode: never verified; policy must allow it."""
    return Verdict(verified=False, tee=tee, quote_version=None, debug_enclave=False,
                   measurements=measurements, report_data=report_data, verified_at=at,
                   failed_step="simulated", message="simulated TEE: no hardware quote",
                   simulated=True)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None
