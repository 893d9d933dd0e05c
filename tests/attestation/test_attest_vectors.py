"""Every DCAP vector gives the verdict of its expected.json, through the library and the CLI."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from dcap_vectors import Vector, vectors

from cli.attest import attest
from council.attestation import evaluate_quote, parse_quote, verify_quote
from council.attestation.collateral import load_collateral
from council.attestation.errors import CertificateChainError
from council.attestation.root import INTEL_SGX_ROOT_CA_SHA256, load_root, pinned_root

pytestmark = pytest.mark.timeout(60)

VECTORS = vectors()
IDS = [v.name for v in VECTORS]


def test_there_are_vectors() -> None:
    assert len(VECTORS) >= 5


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_library_matches_expected(v: Vector) -> None:
    verdict = evaluate_quote(v.quote, v.collateral, v.at)
    assert verdict.verified is v.expected["verifies"], verdict.message
    assert verdict.tee == v.expected["tee"]
    assert verdict.quote_version == v.expected["quote_version"]
    assert verdict.tcb_status == v.expected["tcb_status"]
    assert list(verdict.advisory_ids) == v.expected["advisory_ids"]
    assert verdict.debug_enclave is v.expected["debug_enclave"]


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_cli_matches_expected(v: Vector) -> None:
    result = CliRunner().invoke(attest, ["verify", str(v.folder / "quote.bin"),
                                         "--collateral", str(v.collateral),
                                         "--root", str(v.folder / "trusted_root.der"),
                                         "--at", str(v.expected["at"])])
    out = json.loads(result.output)
    assert result.exit_code == (0 if v.expected["verifies"] else 1), result.output
    for key in ("tee", "quote_version", "tcb_status", "advisory_ids", "debug_enclave"):
        assert out[key] == v.expected[key], key
    assert out["verified"] is v.expected["verifies"]
    fmspc = json.loads((v.collateral / "tcb_info.json").read_text())["tcbInfo"]["fmspc"]
    assert out["fmspc"] == fmspc.upper()  # upper-case hex, as Intel writes it (some files do not)
    names = ("mrenclave", "mrsigner", "isv_prod_id", "isv_svn") if out["tee"] == "sgx" else (
        "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrsignerseam")
    assert all(name in out for name in names)
    assert len(bytes.fromhex(out["report_data"])) == 64


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_parse_then_serialize_gives_the_quote_proper(v: Vector) -> None:
    quote = parse_quote(v.quote)
    proper = quote.to_bytes()
    assert v.quote.startswith(proper)
    assert parse_quote(proper) == quote


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_trailing_bytes_are_ignored(v: Vector) -> None:
    proper = parse_quote(v.quote).to_bytes()
    collateral = load_collateral(v.collateral)
    plain = verify_quote(proper, collateral, v.at)
    padded = verify_quote(proper + b"trailing test text\0" * 7, collateral, v.at)
    assert plain.tcb == padded.tcb


def test_pinned_root_is_intel_sgx_root_ca() -> None:
    root = pinned_root()
    assert "Intel SGX Root CA" in root.subject.rfc4514_string()
    der = root.public_bytes(Encoding.DER)
    assert hashlib.sha256(der).hexdigest().upper() == INTEL_SGX_ROOT_CA_SHA256
    changed = der[:-1] + bytes([der[-1] ^ 1])
    with pytest.raises(CertificateChainError, match="fingerprint"):
        load_root(changed, INTEL_SGX_ROOT_CA_SHA256)


def test_cli_without_root_uses_the_pinned_one() -> None:
    v = VECTORS[0]
    result = CliRunner().invoke(attest, ["verify", str(v.folder / "quote.bin"), "--collateral",
                                         str(v.collateral), "--at", str(v.expected["at"])])
    assert result.exit_code == 0, result.output
