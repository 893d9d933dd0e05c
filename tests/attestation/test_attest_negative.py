"""Quotes and collateral that must be rejected, each at the right step with a message naming it."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from dcap_synth import SEALER_KEY, T0, World, key, pem, root_cert
from dcap_vectors import Vector, vector

from cli.attest import attest
from council.attestation import errors, evaluate_quote, parse_quote, verify_quote
from council.attestation.binding import check_binding
from council.attestation.collateral import load_collateral
from council.errors import AttestationError

pytestmark = pytest.mark.timeout(60)


def flipped(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1:]


def assert_fails(v: Vector, data: bytes, step: str, collateral: Path | None = None,
                 at: Vector | None = None) -> str:
    verdict = evaluate_quote(data, collateral or v.collateral, (at or v).at)
    assert not verdict.verified
    assert verdict.failed_step == step, verdict.message
    assert verdict.message is not None and step in verdict.message
    return verdict.message


def offset_of(data: bytes, part: bytes) -> int:
    offset = data.index(part)
    assert data.count(part) == 1
    return offset


@pytest.mark.parametrize(("name", "offset"), [("q01", 64 + 6), ("q06", 320 + 1), ("q02", 136 + 5),
                                              ("q07", 520 + 63)])
def test_flipped_byte_in_report_body(name: str, offset: int) -> None:
    v = vector(name)  # offsets: MRENCLAVE, REPORTDATA (SGX); MRTD, REPORTDATA (TDX)
    assert_fails(v, flipped(v.quote, 48 + offset), "quote_signature")


def test_flipped_byte_in_mrsignerseam() -> None:
    v = vector("q02")
    assert "MRSIGNERSEAM" in assert_fails(v, flipped(v.quote, 48 + 64), "tdx_module")


@pytest.mark.parametrize("name", ["q01", "q02"])
def test_flipped_byte_in_header(name: str) -> None:
    v = vector(name)
    assert_fails(v, flipped(v.quote, 30), "quote_signature")  # user data


@pytest.mark.parametrize("name", ["q01", "q07"])
def test_flipped_byte_in_quote_signature(name: str) -> None:
    v = vector(name)
    sig = parse_quote(v.quote).signature_data.quote_signature
    assert_fails(v, flipped(v.quote, offset_of(v.quote, sig) + 5), "quote_signature")


@pytest.mark.parametrize("name", ["q06", "q02"])
def test_flipped_byte_in_qe_report(name: str) -> None:
    v = vector(name)
    report = parse_quote(v.quote).signature_data.qe_report.raw
    assert_fails(v, flipped(v.quote, offset_of(v.quote, report) + 100), "qe_report_signature")


@pytest.mark.parametrize("name", ["q01", "q02"])
def test_flipped_byte_in_qe_report_signature(name: str) -> None:
    v = vector(name)
    sig = parse_quote(v.quote).signature_data.qe_report_signature
    assert_fails(v, flipped(v.quote, offset_of(v.quote, sig) + 40), "qe_report_signature")


def test_flipped_byte_in_qe_auth_data_or_attest_key() -> None:
    v = vector("q01")
    sd = parse_quote(v.quote).signature_data
    assert_fails(v, flipped(v.quote, offset_of(v.quote, sd.attest_key) + 3), "qe_report_data")
    auth_at = offset_of(v.quote, sd.qe_report_signature) + 64 + 2
    assert_fails(v, flipped(v.quote, auth_at), "qe_report_data")


def _forged_chain(v: Vector, with_pinned_root: bool) -> bytes:
    """The quote's PCK chain re-issued under a foreign 'Intel SGX Root CA' (same name, our key)."""
    pems = parse_quote(v.quote).signature_data.pck_chain_pem
    leaf, ca, root = (x509.load_pem_x509_certificate(p) for p in pems)

    def reissue(c: x509.Certificate, issuer: x509.Name, signer: str, subject_key: object) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(c.subject).issuer_name(issuer)
             .public_key(subject_key).serial_number(x509.random_serial_number())  # type: ignore[arg-type]
             .not_valid_before(c.not_valid_before_utc).not_valid_after(c.not_valid_after_utc))
        for ext in c.extensions:
            b = b.add_extension(ext.value, ext.critical)
        return b.sign(key(signer), hashes.SHA256())

    fake_root = reissue(root, root.subject, "fake-root", key("fake-root").public_key())
    fake_ca = reissue(ca, root.subject, "fake-root", key("fake-ca").public_key())
    fake_leaf = reissue(leaf, ca.subject, "fake-ca", leaf.public_key())  # keeps the real PCK key
    return pem(fake_leaf) + pem(fake_ca) + pem(root if with_pinned_root else fake_root)


@pytest.mark.parametrize("with_pinned_root", [False, True])
def test_pck_chain_with_a_foreign_root(with_pinned_root: bool) -> None:
    v = vector("q02")
    quote = parse_quote(v.quote)
    forged = replace(quote, signature_data=replace(quote.signature_data,
                                                   cert_data=_forged_chain(v, with_pinned_root)))
    message = assert_fails(v, forged.to_bytes(), "pck_chain")
    assert ("which is not the pinned root" in message) != with_pinned_root
    assert ("is not signed by 'Intel SGX Root CA'" in message) == with_pinned_root


def test_expired_collateral_real_vector() -> None:
    v = vector("q06")
    info = json.loads((v.collateral / "tcb_info.json").read_text())["tcbInfo"]
    late = info["nextUpdate"].replace("2025-09", "2025-10")
    result = CliRunner().invoke(attest, ["verify", str(v.folder / "quote.bin"), "--collateral",
                                         str(v.collateral), "--at", late])
    out = json.loads(result.output)
    assert result.exit_code == 1
    assert out["verified"] is False and out["tcb_status"] is None
    assert out["failed_step"] in ("root_crl", "pck_crl", "tcb_info", "qe_identity")
    assert out["failed_step"] in out["message"] and "not at" in out["message"]


def test_expired_tcb_info_synthetic(tmp_path: Path) -> None:
    world = World(collateral_next=T0 - timedelta(hours=1))
    with pytest.raises(errors.ExpiredError) as caught:
        verify_quote(world.quote_bytes(), load_collateral(world.write_collateral(tmp_path)), T0, root_cert())
    assert caught.value.step == "tcb_info"
    assert "(7) tcb_info" in str(caught.value) and "nextUpdate" in str(caught.value)


def test_collateral_not_yet_issued_synthetic(tmp_path: Path) -> None:
    world = World(collateral_issue=T0 + timedelta(hours=1))
    with pytest.raises(errors.ExpiredError, match=r"\(7\) tcb_info"):
        verify_quote(world.quote_bytes(), load_collateral(world.write_collateral(tmp_path)), T0, root_cert())


def test_revoked_pck_certificate_synthetic(tmp_path: Path) -> None:
    world = World(revoked_pck=True)
    with pytest.raises(errors.RevokedError) as caught:
        verify_quote(world.quote_bytes(), load_collateral(world.write_collateral(tmp_path)), T0, root_cert())
    assert caught.value.step == "pck_revocation"
    assert "(6) pck_revocation" in str(caught.value) and "revoked" in str(caught.value)


def test_revoked_pck_certificate_through_cli(tmp_path: Path) -> None:
    world = World(revoked_pck=True)
    (tmp_path / "quote.bin").write_bytes(world.quote_bytes())
    (tmp_path / "root.der").write_bytes(root_cert().public_bytes(Encoding.DER))
    world.write_collateral(tmp_path / "collateral")
    result = CliRunner().invoke(attest, ["verify", str(tmp_path / "quote.bin"), "--collateral",
                                         str(tmp_path / "collateral"), "--root", str(tmp_path / "root.der"),
                                         "--at", "2025-01-15T12:00:00Z"])
    assert result.exit_code == 1
    assert json.loads(result.output)["failed_step"] == "pck_revocation"


def test_report_data_not_matching_the_sealer_key(tmp_path: Path) -> None:
    world = World()
    verified = verify_quote(world.quote_bytes(), load_collateral(world.write_collateral(tmp_path)),
                            T0, root_cert())
    check_binding(verified, SEALER_KEY)
    with pytest.raises(errors.BindingMismatch, match="binding"):
        check_binding(verified, SEALER_KEY[:-1] + b"\x00")
    v = vector("q01")
    with pytest.raises(errors.BindingMismatch):
        check_binding(verify_quote(v.quote, load_collateral(v.collateral), v.at), SEALER_KEY)


def test_collateral_for_another_platform() -> None:
    q02, q07 = vector("q02"), vector("q07")
    message = assert_fails(q02, q02.quote, "pck_extension", q07.collateral, q07)
    assert "FMSPC" in message


def test_collateral_for_another_tee() -> None:
    q02, q06 = vector("q02"), vector("q06")
    message = assert_fails(q02, q02.quote, "tcb_info", q06.collateral, q06)
    assert "SGX" in message and "TDX" in message


def test_wrong_pck_crl(tmp_path: Path) -> None:
    q01, q06 = vector("q01"), vector("q06")  # q01's PCK is issued by the Processor CA
    folder = shutil.copytree(q01.collateral, tmp_path / "c")
    shutil.copy(q06.collateral / "pck_crl.der", folder / "pck_crl.der")
    (folder / "pck_crl_issuer_chain.pem").unlink()
    assert "issuer" in assert_fails(q01, q01.quote, "pck_crl", folder)


def test_tampered_tcb_info(tmp_path: Path) -> None:
    v = vector("q01")
    folder = shutil.copytree(v.collateral, tmp_path / "c")
    text = (folder / "tcb_info.json").read_text()
    (folder / "tcb_info.json").write_text(text.replace('"OutOfDate"', '"UpToDate"', 1))
    assert "raw 'tcbInfo'" in assert_fails(v, v.quote, "tcb_info", folder)


def test_missing_collateral_file(tmp_path: Path) -> None:
    v = vector("q01")
    folder = shutil.copytree(v.collateral, tmp_path / "c")
    (folder / "qe_identity.json").unlink()
    assert_fails(v, v.quote, "qe_identity", folder)
    (folder / "root_ca_crl.der").unlink()
    shutil.copy(v.collateral / "qe_identity.json", folder)
    assert_fails(v, v.quote, "root_crl", folder)


def test_every_rejection_is_an_attestation_error() -> None:
    assert issubclass(errors.QuoteFormatError, AttestationError)
    assert issubclass(errors.BindingMismatch, AttestationError)


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    v = vector("q01")
    runner = CliRunner()
    assert runner.invoke(attest, ["verify", str(v.folder / "quote.bin")]).exit_code == 2
    assert runner.invoke(attest, ["verify", str(tmp_path / "none.bin"), "--collateral",
                                  str(v.collateral)]).exit_code == 2
    assert runner.invoke(attest, ["verify", str(v.folder / "quote.bin"), "--collateral",
                                  str(v.collateral), "--at", "2025-07-19"]).exit_code == 2


def test_cli_garbage_quote_exits_1(tmp_path: Path) -> None:
    v = vector("q01")
    (tmp_path / "q.bin").write_bytes(b"\x03\x00garbage")
    result = CliRunner().invoke(attest, ["verify", str(tmp_path / "q.bin"), "--collateral",
                                         str(v.collateral), "--at", str(v.expected["at"])])
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["failed_step"] == "parse_quote" and "header" in out["message"]
