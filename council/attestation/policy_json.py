"""The admission policy file format (JSON), both ways, with every rule checked on read.

See docs/attestation.md, "Policy file format". Unknown keys are refused; an SGX entry
needs an MRENCLAVE (MRSIGNER alone is never enough); a TDX entry needs MRTD and RTMR0..3.
"""

from __future__ import annotations

from council.attestation.policy_model import (
    FORMAT,
    VERSION,
    Freeze,
    Policy,
    PolicyFileError,
    SgxAllow,
    TdxAllow,
    format_time,
    parse_time,
)
from council.attestation.tcb_info import TCB_STATUSES


def policy_to_json(policy: Policy) -> dict[str, object]:
    """The JSON object of a policy (the file format)."""
    frozen = None
    if policy.freeze is not None:
        frozen = {"after": format_time(policy.freeze.after) if policy.freeze.after else None,
                  "reason": policy.freeze.reason}
    return {
        "format": FORMAT, "version": VERSION,
        "allow": {
            "sgx": [_drop_none({"mrenclave": e.mrenclave.hex(),
                                "mrsigner": e.mrsigner.hex() if e.mrsigner else None,
                                "isv_prod_id": e.isv_prod_id, "note": e.note}) for e in policy.sgx],
            "tdx": [{"mrtd": e.mrtd.hex(), **{f"rtmr{i}": r.hex() for i, r in enumerate(e.rtmrs)},
                     "note": e.note} for e in policy.tdx],
        },
        "accepted_tcb_statuses": list(policy.accepted_tcb_statuses),
        "forbidden_advisories": list(policy.forbidden_advisories),
        "min_isv_svn": policy.min_isv_svn, "allow_debug": policy.allow_debug,
        "freeze": frozen, "revoked_sealer_keys": list(policy.revoked_sealer_keys),
        "allow_simulated": policy.allow_simulated,
    }


def policy_from_json(obj: object) -> Policy:
    """Parse and check a policy JSON object; raise PolicyFileError naming the broken rule."""
    try:
        return _policy_from_json(obj)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PolicyFileError(f"policy: {exc}") from None


_KEYS = {"format", "version", "allow", "accepted_tcb_statuses", "forbidden_advisories",
         "min_isv_svn", "allow_debug", "freeze", "revoked_sealer_keys", "allow_simulated"}


def _policy_from_json(obj: object) -> Policy:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT or obj.get("version") != VERSION:
        raise ValueError(f"not a {FORMAT} version {VERSION} object")
    unknown = set(obj) - _KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    allow = obj.get("allow", {})
    statuses = tuple(_strs(obj.get("accepted_tcb_statuses", ["UpToDate"])))
    if not set(statuses) <= TCB_STATUSES:
        raise ValueError(f"unknown TCB status in {list(statuses)}")
    return Policy(
        sgx=tuple(_sgx_entry(e, i) for i, e in enumerate(allow.get("sgx", []))),
        tdx=tuple(_tdx_entry(e, i) for i, e in enumerate(allow.get("tdx", []))),
        accepted_tcb_statuses=statuses,
        forbidden_advisories=tuple(_strs(obj.get("forbidden_advisories", []))),
        min_isv_svn=_int(obj.get("min_isv_svn", 0), "min_isv_svn"),
        allow_debug=_bool(obj.get("allow_debug", False), "allow_debug"),
        freeze=_freeze(obj.get("freeze")),
        revoked_sealer_keys=tuple(bytes.fromhex(k).hex() for k in _strs(obj.get("revoked_sealer_keys", []))),
        allow_simulated=_bool(obj.get("allow_simulated", False), "allow_simulated"),
    )


def _sgx_entry(e: dict[str, object], i: int) -> SgxAllow:
    if "mrenclave" not in e:
        raise ValueError(f"allow.sgx[{i}] has no mrenclave: MRSIGNER alone is never enough")
    signer = e.get("mrsigner")
    prod = e.get("isv_prod_id")
    return SgxAllow(_hex(e["mrenclave"], 32, f"allow.sgx[{i}].mrenclave"),
                    _hex(signer, 32, f"allow.sgx[{i}].mrsigner") if signer is not None else None,
                    _int(prod, f"allow.sgx[{i}].isv_prod_id") if prod is not None else None,
                    str(e.get("note", "")))


def _tdx_entry(e: dict[str, object], i: int) -> TdxAllow:
    missing = [k for k in ("mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3") if k not in e]
    if missing:
        raise ValueError(f"allow.tdx[{i}] lacks {missing}: MRTD and RTMR0..3 are all required")
    r0, r1, r2, r3 = (_hex(e[f"rtmr{j}"], 48, f"allow.tdx[{i}].rtmr{j}") for j in range(4))
    return TdxAllow(_hex(e["mrtd"], 48, f"allow.tdx[{i}].mrtd"), (r0, r1, r2, r3), str(e.get("note", "")))


def _freeze(value: object) -> Freeze | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("freeze must be null or an object")
    after = value.get("after")
    return Freeze(parse_time(after) if after is not None else None, str(value.get("reason", "")))


def _hex(value: object, size: int, where: str) -> bytes:
    raw = bytes.fromhex(value) if isinstance(value, str) else b""
    if len(raw) != size:
        raise ValueError(f"{where} must be {size} bytes of hex")
    return raw


def _strs(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return list(value)


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
        raise ValueError(f"{where} must be an integer 0..65535")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false")
    return value


def _drop_none(d: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in d.items() if v is not None}
