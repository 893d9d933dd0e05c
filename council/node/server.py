"""The member's gRPC server: mutual TLS, the Member service, health and reflection.

Health (`grpc.health.v1`) and reflection are served when grpcio-health-checking and
grpcio-reflection are installed. `serve_forever` stops gracefully on SIGTERM or SIGINT: no new
calls, calls in flight get a grace period, ceremony state is already on disk.
"""

from __future__ import annotations

import gc
import signal
import threading
from concurrent import futures
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

import grpc

from council.crypto import libcrypto
from council.node.auditors import auditor_pems
from council.node.ceremony_service import MemberServicer
from council.node.core_log import CoreLogWatch
from council.node.limits import MAX_RECEIVE, Limits
from council.node.log_service import SERVICE_NAME as LOG_SERVICE_NAME
from council.node.log_service import register_log
from council.node.node import MemberNode
from council.node.recovery_service import SERVICE_NAME as RECOVERY_SERVICE_NAME
from council.node.recovery_service import register_recovery
from council.node.retirement import RetirementTimer
from council.protocol import tls
from council.protocol.gen import council_pb2, council_pb2_grpc

if TYPE_CHECKING:  # prometheus_client only where --metrics serves it (cli/member.py; decision 114)
    from council.node.metrics import MemberMetrics

SERVICE_NAME = council_pb2.DESCRIPTOR.services_by_name["Member"].full_name
GRACE_SECONDS = 5.0


@dataclass
class RunningServer:
    """A started server and the port it listens on."""

    server: grpc.Server
    port: int
    node: MemberNode
    metrics: MemberMetrics | None = None
    timer: RetirementTimer | None = None

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        if self.metrics is not None:
            self.metrics.health.set(False, "stopping")
        if self.timer is not None:
            self.timer.stop()
        self.server.stop(grace).wait()


def _add_extras(server: grpc.Server, node: MemberNode) -> list[str]:
    names = [SERVICE_NAME, RECOVERY_SERVICE_NAME, LOG_SERVICE_NAME]
    try:
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    except ImportError:
        node.log.event("health-unavailable", reason="grpcio-health-checking is not installed")
    else:
        servicer = health.HealthServicer()
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        names.append(health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
    try:
        from grpc_reflection.v1alpha import reflection
    except ImportError:
        node.log.event("reflection-unavailable", reason="grpcio-reflection is not installed")
    else:
        reflection.enable_server_reflection((*names, reflection.SERVICE_NAME), server)
    return names


def _trusted_pems(node: MemberNode) -> list[bytes]:
    rosters = node.trusted_rosters()
    return [m.tls_cert.encode() for r in rosters for m in r.members] + \
        [o.tls_cert.encode() for r in rosters for o in r.operators]


def start(node: MemberNode, listen: str, workers: int = 8, metrics: MemberMetrics | None = None) -> RunningServer:
    """Start serving `node` on `listen` (HOST:PORT; port 0 picks a free one); with `metrics`, time
    every call and report serving to its health state."""
    ident = node.folder.identity
    creds = tls.server_credentials(ident.tls_key_pem, ident.tls_cert_pem,
                                   lambda: _trusted_pems(node) + auditor_pems(node.folder.path))
    interceptors = [Limits(node.log)] + ([metrics.interceptor] if metrics is not None else [])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), interceptors=interceptors,
                         options=[("grpc.max_receive_message_length", MAX_RECEIVE)])
    council_pb2_grpc.add_MemberServicer_to_server(MemberServicer(node), server)  # type: ignore[no-untyped-call]
    register_recovery(server, node)
    register_log(server, node)
    services = _add_extras(server, node)
    port = server.add_secure_port(listen, creds)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    server.start()
    timer = node.retirement_timer().start()  # retired keys are erased when their waiting period ends
    if metrics is not None:
        metrics.health.set(True)
    node.log.event("serving", listen=listen, port=port, services=services,
                   roster=node.served.digest().hex(), p256=libcrypto.describe())
    return RunningServer(server, port, node, metrics, timer)


class StopSignal:
    """SIGTERM and SIGINT caught from the moment this is installed, so that a signal arriving while
    the member opens or its server starts still stops it gracefully (the default would kill it)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    @classmethod
    def install(cls) -> StopSignal:
        caught = cls()
        signal.signal(signal.SIGTERM, caught._on_signal)
        signal.signal(signal.SIGINT, caught._on_signal)
        return caught

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # No logging here: the main thread may hold the log's lock when the signal lands.
        if self.signum is None:
            self.signum = signum
        self.event.set()

    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else "none"


def settle_heap() -> tuple[int, int]:
    """Collect what start-up left and exempt the rest from the cyclic collector, before the
    process serves: the modules, the rosters and the keys live as long as it does, and a full
    collection of them (12-25 ms of CPU at n = 64) otherwise fell on the first call it served,
    in every member at once in a ceremony (decision 137). Returns (objects collected, frozen)."""
    collected = gc.collect()
    gc.freeze()
    return collected, gc.get_freeze_count()


def serve_forever(running: RunningServer, stop: StopSignal | None = None) -> None:
    """Block until SIGTERM/SIGINT (caught by `stop`, installed before `start` by callers that want
    no window without it), then shut down gracefully. Meanwhile the TLS handshakes gRPC's core
    refuses are logged from its standard-error lines (council/node/core_log.py)."""
    caught = stop or StopSignal.install()
    watch = CoreLogWatch.start(running.node.log)
    try:
        caught.event.wait()
        running.node.log.event("stopping", signal=caught.name())
        if running.metrics is not None:
            running.metrics.health.set(False, "stopping")
        running.stop()
        running.node.log.event("stopped")
    finally:
        watch.stop()
