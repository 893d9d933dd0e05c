"""Intel's TCB rules on synthetic platforms: level selection, QE and TDX module lowering, advisories."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from dcap_synth import T0, World, _level, root_cert

from council.attestation import errors, verify_quote
from council.attestation.collateral import load_collateral
from council.attestation.tcb import converge, qe_identity_match
from council.attestation.tcb_info import parse_qe_identity
from council.attestation.verify import evaluate_quote

pytestmark = pytest.mark.timeout(60)

TDX = (3, 0, 4) + (0,) * 13


def run(world: World, tmp_path: Path) -> tuple[str, tuple[str, ...]]:
    verified = verify_quote(world.quote_bytes(), load_collateral(world.write_collateral(tmp_path)),
                            T0, root_cert())
    return verified.tcb.status, verified.tcb.advisory_ids


def fails(world: World, tmp_path: Path, step: str) -> str:
    verdict = evaluate_quote(world.quote_bytes(), world.write_collateral(tmp_path), T0, root_cert())
    assert not verdict.verified and verdict.failed_step == step, verdict.message
    return verdict.message or ""


@pytest.mark.parametrize(("tee", "version"), [("sgx", 3), ("tdx", 4), ("tdx", 5)])
def test_synthetic_quotes_verify_up_to_date(tee: str, version: int, tmp_path: Path) -> None:
    assert run(World(tee=tee, version=version), tmp_path) == ("UpToDate", ())


@pytest.mark.parametrize(("platform", "lowered"), [
    ("UpToDate", "OutOfDate"), ("SWHardeningNeeded", "OutOfDate"),
    ("ConfigurationNeeded", "OutOfDateConfigurationNeeded"),
    ("ConfigurationAndSWHardeningNeeded", "OutOfDateConfigurationNeeded"),
    ("OutOfDate", "OutOfDate"),
])
def test_out_of_date_qe_lowers_the_status(platform: str, lowered: str, tmp_path: Path) -> None:
    world = World(qe_svn=5, tcb_levels=(_level((5,) * 16, 13, platform, ("INTEL-SA-00001",)),))
    assert run(world, tmp_path) == (lowered, ("INTEL-SA-00001", "INTEL-SA-00615"))


def test_qe_below_every_level_is_revoked(tmp_path: Path) -> None:
    assert "Revoked" in fails(World(qe_svn=0), tmp_path, "tcb_level")


def test_levels_are_taken_in_descending_order_whatever_the_file_order(tmp_path: Path) -> None:
    levels = (_level((1,) * 16, 13, "OutOfDate", ("INTEL-SA-00002",)),
              _level((5,) * 16, 13, "SWHardeningNeeded", ("INTEL-SA-00003",)))
    assert run(World(tcb_levels=levels), tmp_path) == ("SWHardeningNeeded", ("INTEL-SA-00003",))


def test_lower_pcesvn_selects_a_lower_level(tmp_path: Path) -> None:
    levels = (_level((5,) * 16, 14, "UpToDate"), _level((5,) * 16, 12, "OutOfDate", ("INTEL-SA-00004",)))
    assert run(World(tcb_levels=levels), tmp_path) == ("OutOfDate", ("INTEL-SA-00004",))


def test_one_lower_component_selects_a_lower_level(tmp_path: Path) -> None:
    components = (5,) * 15 + (4,)
    assert run(World(components=components), tmp_path) == ("OutOfDate", ("INTEL-SA-00828",))


def test_no_matching_level(tmp_path: Path) -> None:
    assert "no TCB level" in fails(World(components=(3,) * 16), tmp_path, "tcb_level")


def test_revoked_level_is_refused(tmp_path: Path) -> None:
    world = World(tcb_levels=(_level((5,) * 16, 13, "Revoked", ("INTEL-SA-00005",)),))
    assert "INTEL-SA-00005" in fails(world, tmp_path, "tcb_level")


def test_tdx_module_out_of_date_lowers_and_adds_its_advisories(tmp_path: Path) -> None:
    module = ({"tcb": {"isvsvn": 5}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"},
              {"tcb": {"isvsvn": 2}, "tcbDate": "2023-01-01T00:00:00Z", "tcbStatus": "OutOfDate",
               "advisoryIDs": ["INTEL-SA-00960"]})
    levels = (_level((5,) * 16, 13, "ConfigurationNeeded", ("INTEL-SA-00006",), TDX),)
    world = World(tee="tdx", version=4, module_levels=module, tcb_levels=levels)
    assert run(world, tmp_path) == ("OutOfDateConfigurationNeeded", ("INTEL-SA-00006", "INTEL-SA-00960"))


def test_tdx_module_below_every_level(tmp_path: Path) -> None:
    world = World(tee="tdx", version=4, tee_tcb_svn=bytes([2, 1, 4]) + bytes(13))
    assert "TDX_01" in fails(world, tmp_path, "tcb_level")


def test_tdx_module_identity_missing(tmp_path: Path) -> None:
    world = World(tee="tdx", version=4, tee_tcb_svn=bytes([3, 2, 4]) + bytes(13))
    assert "TDX_02" in fails(world, tmp_path, "tdx_module")


def test_tdx_bytes_0_and_1_are_skipped_when_the_module_version_is_set(tmp_path: Path) -> None:
    module = ({"tcb": {"isvsvn": 0}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"},)
    world = World(tee="tdx", version=4, module_levels=module, tee_tcb_svn=bytes([0, 1, 4]) + bytes(13))
    assert run(world, tmp_path) == ("UpToDate", ())


def test_tdx_module_version_zero_compares_all_16_bytes(tmp_path: Path) -> None:
    levels = (_level((5,) * 16, 13, "UpToDate", (), (3, 1, 4) + (0,) * 13),
              _level((5,) * 16, 13, "OutOfDate", ("INTEL-SA-00007",), (0,) * 16))
    world = World(tee="tdx", version=4, tcb_levels=levels, tee_tcb_svn=bytes([3, 0, 4]) + bytes(13))
    assert run(world, tmp_path) == ("OutOfDate", ("INTEL-SA-00007",))


def test_lower_tdx_component_selects_a_lower_level(tmp_path: Path) -> None:
    levels = (_level((5,) * 16, 13, "UpToDate", (), (0, 0, 5) + (0,) * 13),
              _level((5,) * 16, 13, "SWHardeningNeeded", ("INTEL-SA-00008",), TDX))
    assert run(World(tee="tdx", version=4, tcb_levels=levels), tmp_path) == (
        "SWHardeningNeeded", ("INTEL-SA-00008",))


@pytest.mark.parametrize("tee", ["sgx", "tdx"])
def test_debug_enclaves_verify_but_are_flagged(tee: str, tmp_path: Path) -> None:
    world = World(tee=tee, version=3 if tee == "sgx" else 4, debug=True)
    verdict = evaluate_quote(world.quote_bytes(), world.write_collateral(tmp_path), T0, root_cert())
    assert verdict.verified and verdict.debug_enclave is True


def test_qe_identity_mismatches(tmp_path: Path) -> None:
    world = World()
    quote = world.quote()
    identity = parse_qe_identity(load_collateral(world.write_collateral(tmp_path)).qe_identity.body)
    report = quote.signature_data.qe_report
    assert qe_identity_match(report, identity) is not None
    for change, word in ((dict(mrsigner=b"\0" * 32), "MRSIGNER"), (dict(isv_prod_id=9), "ISVPRODID"),
                         (dict(miscselect=1), "MISCSELECT"), (dict(attributes=b"\1" * 16), "ATTRIBUTES")):
        with pytest.raises(errors.IdentityMismatch, match=word):
            qe_identity_match(report, replace(identity, **change))  # type: ignore[arg-type]


def test_converge_table() -> None:
    assert converge("UpToDate", None) == "UpToDate"
    assert converge("SWHardeningNeeded", "UpToDate") == "SWHardeningNeeded"
    assert converge("ConfigurationNeeded", "Revoked") == "Revoked"
    assert converge("OutOfDateConfigurationNeeded", "OutOfDate") == "OutOfDateConfigurationNeeded"
