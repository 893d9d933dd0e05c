"""Issue 3/7 defect 7: refused TLS handshakes and undecodable requests reach the member's
events.jsonl, once per reason (or method) and minute, from a member PROCESS (`member serve`);
standard error still carries every line gRPC's core wrote, and the member keeps serving."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import grpc
import pytest
from node_helpers import Council

from council.node.core_log import handshake_refusal
from council.protocol import tls
from council.protocol.gen import council_pb2 as pb
from council.protocol.gen import council_pb2_grpc as pb_grpc
from council.storage.identity import Identity

pytestmark = pytest.mark.timeout(120)


def _status(address: str, server_cert: bytes, key_pem: bytes, cert_pem: bytes) -> pb.StatusReply:
    with tls.secure_channel(address, server_cert, key_pem, cert_pem) as ch:
        return pb_grpc.MemberStub(ch).Status(pb.StatusRequest(), timeout=5)


def _refusals(c: Council, name: str) -> list[dict[str, object]]:
    lines = (c.members[name].path / "log" / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "tls-handshake-refused"]


def test_refused_handshakes_are_logged_once_per_reason(council: Council) -> None:
    c = council
    c.add_members("a", "b")
    c.roster("r", 2, ["a", "b"])
    c.spawn("a", "r")
    c.wait_serving(["a"])
    a = c.members["a"]
    stranger = Identity.generate("stranger", with_encryption=False)
    for _ in range(5):  # a client certificate of no roster: the handshake fails in gRPC's core
        with pytest.raises(grpc.RpcError) as exc:
            _status(a.listen, a.identity.tls_cert_pem, stranger.tls_key_pem, stranger.tls_cert_pem)
        assert exc.value.code() == grpc.StatusCode.UNAVAILABLE
    host, port = a.listen.rsplit(":", 1)
    for _ in range(3):  # not a TLS client at all
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            with contextlib.suppress(OSError):  # the member closes (or resets) the connection
                s.recv(100)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len({e["reason"] for e in _refusals(c, "a")}) < 2:
        time.sleep(0.2)
    events = _refusals(c, "a")
    reasons = [e["reason"] for e in events]
    assert sorted(reasons) == ["CERTIFICATE_VERIFY_FAILED", "HTTP_REQUEST"], events  # once each
    assert all(e["suppressed_since_last"] == 0 and "stranger" not in json.dumps(e) for e in events)
    ops = c.op().identity
    assert _status(a.listen, a.identity.tls_cert_pem, ops.tls_key_pem, ops.tls_cert_pem).name == "a"
    with tls.secure_channel(a.listen, a.identity.tls_cert_pem, ops.tls_key_pem, ops.tls_cert_pem) as ch:
        raw = ch.unary_unary("/keycouncil.council.v1.Member/GetEpoch",
                             request_serializer=lambda b: b, response_deserializer=lambda b: b)
        for _ in range(5):  # past the handshake, an undecodable request: refused, and logged once
            with pytest.raises(grpc.RpcError) as err:
                raw(b"\xff\xff\xff\xff", timeout=20)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    log = (a.path / "log" / "events.jsonl").read_text()
    assert log.count('"event": "undecodable-request"') == 1, log[-2000:]
    stderr = c.processes.log_path("a").read_text()
    assert stderr.count("Handshake failed with") >= 6, stderr[-2000:]   # passed on unchanged
    assert stderr.count('"event": "tls-handshake-refused"') == 2          # echoed once each


def test_the_core_line_is_recognised_and_nothing_else_is() -> None:
    line = (b"I1202 06:13:58.368507   30233 ssl_transport_security.cc:2563] Handshake failed with error "
            b"SSL_ERROR_SSL: error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED: self signed")
    assert handshake_refusal(line) == ("CERTIFICATE_VERIFY_FAILED", "error:1000007d:SSL routines:OPENSSL_internal:"
                                       "CERTIFICATE_VERIFY_FAILED: self signed")
    echoed = json.dumps({"event": "tls-handshake-refused", "detail": line.decode()}).encode()
    assert handshake_refusal(echoed) is None  # the member's own event line never counts again
    assert handshake_refusal(b"E1202 06:13:58.368507 1 chttp2_transport.cc:1] Handshake failed with x") is None
