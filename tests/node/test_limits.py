"""Bounded resources (issue 3/7, defect 4, and the status codes of defect 7): per-RPC size limits,
error text that never echoes unbounded input, memory bounded under concurrent large calls, a bad
key id answered INVALID_ARGUMENT, undecodable requests logged once (rate-limited)."""

from __future__ import annotations

import threading
from pathlib import Path

import grpc
import pytest
from node_helpers import Council

from council.protocol import tls
from council.protocol.gen import council_pb2 as pb
from council.protocol.gen import council_pb2_grpc as pb_grpc
from council.protocol.gen import recovery_pb2 as rpb
from council.protocol.gen import recovery_pb2_grpc as rpb_grpc

BIG = 64 << 20


def _channel(c: Council, name: str) -> grpc.Channel:
    op = c.op()
    creds = tls.channel_credentials(c.members[name].identity.tls_cert_pem, op.identity.tls_key_pem,
                                    op.identity.tls_cert_pem)
    return grpc.secure_channel(c.members[name].listen, creds,
                               options=[*tls.CLIENT_OPTIONS, ("grpc.max_send_message_length", BIG)])


def _log_size(c: Council, name: str) -> int:
    path = c.members[name].path / "log" / "events.jsonl"
    return path.stat().st_size if path.exists() else 0


def _start(c: Council) -> None:
    c.add_members("a", "b")
    c.roster("r", 1, ["a", "b"])
    c.serve("a", "r")


def test_a_huge_key_id_is_refused_by_size_without_echo(council: Council) -> None:
    c = council
    _start(c)
    before = _log_size(c, "a")
    with _channel(c, "a") as ch:
        with pytest.raises(grpc.RpcError) as err:
            pb_grpc.MemberStub(ch).GetEpoch(pb.GetEpochRequest(key_id="k" * (2 << 20), current=True), timeout=20)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err.value
    assert len(err.value.details() or "") < 1024
    assert _log_size(c, "a") - before < 4096


def test_error_text_is_bounded_and_a_bad_key_id_is_invalid_argument(council: Council) -> None:
    c = council
    _start(c)
    before = _log_size(c, "a")
    with _channel(c, "a") as ch:
        stub = pb_grpc.MemberStub(ch)
        for key_id in ("k" * 20000, "../../etc", "ü"):
            with pytest.raises(grpc.RpcError) as err:
                stub.GetEpoch(pb.GetEpochRequest(key_id=key_id, current=True), timeout=20)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
            assert len(err.value.details() or "") < 1024, len(err.value.details() or "")
    assert _log_size(c, "a") - before < 4096


def test_undecodable_requests_are_refused_and_logged_once(council: Council) -> None:
    c = council
    _start(c)
    with _channel(c, "a") as ch:
        raw = ch.unary_unary("/keycouncil.council.v1.Member/GetEpoch",
                             request_serializer=lambda b: b, response_deserializer=lambda b: b)
        for _ in range(20):
            with pytest.raises(grpc.RpcError) as err:
                raw(b"\xff\xff\xff\xff", timeout=20)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
    log = (c.members["a"].path / "log" / "events.jsonl").read_text()
    assert 1 <= log.count('"event": "undecodable-request"') <= 2, log.count('"event": "undecodable-request"')


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.slow
def test_memory_stays_bounded_under_concurrent_large_calls(council: Council) -> None:
    c = council
    c.add_members("a", "b")
    c.roster("r", 1, ["a", "b"])
    c.spawn("a", "r")
    c.wait_serving(["a"])
    pid = c.processes.pid("a")
    with _channel(c, "a") as ch:  # warm up: the first calls allocate what every call needs
        pb_grpc.MemberStub(ch).Status(pb.StatusRequest(), timeout=20)
    before = _peak_rss_kib(pid)
    payload = b"\x00" * (40 << 20)

    def call(k: int) -> None:
        with _channel(c, "a") as ch:
            try:
                if k % 2:
                    rpb_grpc.RecoveryStub(ch).Decrypt(rpb.DecryptRequest(request=payload), timeout=60)
                else:
                    pb_grpc.MemberStub(ch).GetEpoch(pb.GetEpochRequest(key_id="k" * (15 << 20)), timeout=60)
            except grpc.RpcError:
                pass
    threads = [threading.Thread(target=call, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    grown_mib = (_peak_rss_kib(pid) - before) / 1024
    print(f"member peak RSS grew by {grown_mib:.0f} MiB")
    assert grown_mib < 128, f"member peak RSS grew by {grown_mib:.0f} MiB"
    with _channel(c, "a") as ch:
        assert pb_grpc.MemberStub(ch).Status(pb.StatusRequest(), timeout=20).name == "a"  # still serving
