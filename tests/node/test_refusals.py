"""Refusals: a client certificate not in the roster, a ceremony started by a non-operator, a
malicious dealer (disqualified and named while honest members finish)."""

from __future__ import annotations

import datetime
from dataclasses import replace

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from node_helpers import Council

from council.crypto.ceremony import Participant
from council.crypto.complaint import encrypt_share
from council.crypto.group import Scalar
from council.crypto.messages import Dealing, Signed, sign
from council.driver.ceremony import run_dkg
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.protocol import tls
from council.protocol.gen import council_pb2 as pb
from council.protocol.gen import council_pb2_grpc as pb_grpc
from council.storage.identity import TLS_NAME, Identity

FAST = Timing(call_timeout=20, retry_window=0.3)


def _status(address: str, server_cert: bytes, key_pem: bytes, cert_pem: bytes) -> pb.StatusReply:
    with tls.secure_channel(address, server_cert, key_pem, cert_pem) as ch:
        return pb_grpc.MemberStub(ch).Status(pb.StatusRequest(), timeout=5)


def _issued_by(issuer_key_pem: bytes, issuer_cert_pem: bytes) -> tuple[bytes, bytes]:
    """A client certificate issued by a roster member's TLS key: chains to a root, but is not pinned."""
    issuer_key = serialization.load_pem_private_key(issuer_key_pem, None)
    issuer = x509.load_pem_x509_certificate(issuer_cert_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mallory")]))
            .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(TLS_NAME)]), critical=False)
            .sign(issuer_key, hashes.SHA256()))  # type: ignore[arg-type]
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, cert.public_bytes(serialization.Encoding.PEM)


def test_client_certificate_not_in_roster_is_refused(council: Council) -> None:
    c = council
    c.add_members("a", "b")
    c.roster("r", 2, ["a", "b"])
    c.serve("a", "r")
    a = c.members["a"]
    ops = c.op().identity
    assert _status(a.listen, a.identity.tls_cert_pem, ops.tls_key_pem, ops.tls_cert_pem).name == "a"

    stranger = Identity.generate("stranger", with_encryption=False)
    with pytest.raises(grpc.RpcError) as exc:
        _status(a.listen, a.identity.tls_cert_pem, stranger.tls_key_pem, stranger.tls_cert_pem)
    assert exc.value.code() == grpc.StatusCode.UNAVAILABLE  # the TLS handshake fails

    b = c.members["b"].identity
    key_pem, cert_pem = _issued_by(b.tls_key_pem, b.tls_cert_pem)
    with pytest.raises(grpc.RpcError) as exc:
        _status(a.listen, a.identity.tls_cert_pem, key_pem, cert_pem)
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED  # chains to a root, but not pinned
    assert "not in the roster" in (exc.value.details() or "")


def test_ceremony_started_by_a_non_operator_is_refused(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r")
    member_a = c.members["a"]
    impostor = OperatorFolder(member_a.path, "a", replace(member_a.identity, encryption_secret=None))
    report = run_dkg(r, "k", impostor, FAST)
    assert not report.committed
    assert set(report.missing) == {"a", "b", "c"}
    for why in report.missing.values():
        assert "PERMISSION_DENIED" in why and "not an operator" in why
    assert c.store("a").key_ids() == []


def _bad_share_for(victim: int) -> object:
    def hook(p: Participant, signed: Signed) -> Signed:
        d = Dealing.from_bytes(signed.body)
        shares = dict(d.encrypted_shares)
        key = p.spec.receivers.members[victim].encryption_key
        shares[victim] = encrypt_share(p.spec.digest(), d.dealer, victim, key, Scalar(12345))
        bad = Dealing(d.ceremony, d.dealer, d.commitments, d.pok, shares)
        return sign(p.signer, Dealing.KIND, d.dealer, bad.to_bytes())
    return hook


def test_malicious_dealer_is_disqualified_and_named(council: Council) -> None:
    c = council
    c.add_members("a", "b", "evil", "d", "e")
    r = c.roster("r", 3, ["a", "b", "evil", "d", "e"])
    for n in ["a", "b", "d", "e"]:
        c.serve(n, "r")
    c.serve("evil", "r", hook=_bad_share_for(victim=2))  # type: ignore[arg-type]
    report = run_dkg(r, "k", c.op(), FAST)
    assert report.committed, report.lines()
    assert "member 3 (evil)" in report.disqualified
    assert "complaint by member 2 upheld" in report.disqualified["member 3 (evil)"]
    assert report.missing == {}
    y = report.bundle.public_key
    assert c.decapsulates("k", 0, r, ["a", "b", "e"], y)
    assert c.decapsulates("k", 0, r, ["b", "d", "evil"], y)  # the cheater's own share still fits


def test_malicious_dealer_in_a_reshare_is_disqualified_and_named(council: Council) -> None:
    from council.driver.ceremony import run_reshare

    c = council
    names = ["a", "b", "evil", "d"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 3, names)
    for n in names:
        c.serve(n, "r1")
    y = run_dkg(r1, "k", c.op(), FAST).bundle.public_key
    c.stop("evil")
    c.serve("evil", "r1", hook=_bad_share_for(victim=4))  # type: ignore[arg-type]
    report = run_reshare(r1, r2, "k", c.op(), FAST)
    assert report.committed, report.lines()
    assert "complaint by member 4 upheld" in report.disqualified["member 3 (evil)"]
    assert c.decapsulates("k", 1, r2, ["a", "b", "d"], y)
