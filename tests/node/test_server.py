"""The server's standard services (health, reflection) behind the same pinned mutual TLS, its
JSON-lines event log, and graceful shutdown on SIGTERM."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from node_helpers import Council

from council.crypto import libcrypto
from council.node.server import SERVICE_NAME
from council.protocol import tls


def test_health_and_reflection_over_mutual_tls(council: Council) -> None:
    c = council
    c.add_members("a")
    c.roster("r", 1, ["a"])
    c.serve("a", "r")
    a, ops = c.members["a"], c.op().identity
    with tls.secure_channel(a.listen, a.identity.tls_cert_pem, ops.tls_key_pem, ops.tls_cert_pem) as ch:
        health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        replies = reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        names = {s.name for r in replies for s in r.list_services_response.service}
    assert {SERVICE_NAME, "grpc.health.v1.Health"} <= names


@pytest.mark.slow
def test_sigterm_stops_gracefully_and_logs_json_lines(council: Council) -> None:
    c = council
    c.add_members("a")
    c.roster("r", 1, ["a"])
    c.spawn("a", "r")
    c.wait_serving(["a"])
    proc = c.procs.pop("a")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    events = [json.loads(line) for line in (c.base / "a/log/events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events][:1] == ["insecure-mode"]
    assert {"serving", "stopping", "stopped"} <= {e["event"] for e in events}
    assert all(e["member"] == "a" and "ts" in e for e in events)
    names = [e["event"] for e in events]  # start-up's heap left to no later call (decision 137)
    settled = next(e for e in events if e["event"] == "heap-settled")
    assert names.index("heap-settled") < names.index("serving") and settled["frozen"] > 10_000, settled
    serving = next(e for e in events if e["event"] == "serving")  # which code multiplies on P-256
    assert serving["p256"] == libcrypto.describe()
    assert serving["p256"].startswith("libcrypto (OpenSSL 3") if libcrypto.AVAILABLE else serving["p256"] == "pycryptodome"
    assert "INSECURE" in c.processes.log_path("a").read_text()


@pytest.mark.slow
def test_sigterm_while_the_member_starts_still_stops_gracefully(council: Council) -> None:
    """A SIGTERM that lands after the member began opening but before its server is up is caught
    (the handler is installed first), so the process still exits 0 and logs `stopped`."""
    c = council
    c.add_members("a")
    c.roster("r", 1, ["a"])
    c.spawn("a", "r")
    proc = c.procs.pop("a")
    events_path = c.base / "a/log/events.jsonl"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "insecure-mode" not in _text(events_path):
        time.sleep(0.005)
    assert "serving" not in _text(events_path), "the member came up before the test could signal it"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    names = [json.loads(line)["event"] for line in events_path.read_text().splitlines()]
    assert names[-2:] == ["stopping", "stopped"]


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""
