"""A member's Prometheus metrics and health, served on an opt-in local HTTP port.

`member serve --metrics 127.0.0.1:PORT` (or `"metrics"` in member.json, or `[member] metrics`
in keycouncil.toml) serves `/metrics` (Prometheus text format, prometheus-client) and `/healthz`
(200 `serving`, 503 `not serving: reason`) for a plain HTTP probe: no TLS, no client
certificate, nothing secret. Metric names and labels are documented in docs/operators.md,
"What to monitor". Counters are read from the member's own logs (council.node.logtail) at scrape
time; RPC latency comes from a gRPC server interceptor; share-file health unseals each
committed share once per change of its file.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import grpc
from prometheus_client import CollectorRegistry, Histogram, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from council import __version__
from council.errors import KeycouncilError
from council.node.ceremony_store import in_flight
from council.node.logtail import LogTail
from council.node.node import MemberNode

RPC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_NEXT_PHASE = {None: "deal", "deal": "check", "check": "output", "output": "finalize"}
_PHASE_EVENTS = {"dealt": "deal", "checked": "check", "output": "output", "committed": "finalize",
                 "caught-up": "catch-up"}


def reason_class(decision: str, reason: str) -> str:
    """A bounded label for a release decision's reason (the full text is in releases.jsonl)."""
    r = reason.lower()
    if decision == "released":
        return "released"
    for needle, label in (("waiting period", "waiting-period"), ("manual approval", "manual-approval"),
                          ("client certificate", "caller"), ("not an operator", "caller"),
                          ("erased", "share-erased"), ("holds no committed epoch", "no-epoch"),
                          ("no share", "no-share"), ("simulated", "simulated-sealer"),
                          ("admi", "sealer-not-admitted"), ("future", "future-dated"),
                          ("signature", "signature"), ("signed", "signature"), ("kem", "kem-proof"),
                          ("dump", "dump-reference"), ("decod", "request-invalid"),
                          ("bytes, at most", "request-invalid")):
        if needle in r:
            return label
    return "other"


@dataclass
class LogCounts:
    """What the event and release logs say so far, counted."""

    ceremonies: dict[tuple[str, str, str], int] = field(default_factory=dict)
    releases: dict[tuple[str, str], int] = field(default_factory=dict)
    refusals: dict[tuple[str, str], int] = field(default_factory=dict)
    last_phase: dict[str, str | None] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def add_event(self, e: dict[str, Any]) -> None:
        name, cid = str(e.get("event", "")), str(e.get("ceremony", ""))
        if name == "ceremony-started":
            self.kinds[cid] = str(e.get("kind", "unknown"))
            self.last_phase[cid] = None
            self._count(cid, "start", "ok")
        elif name in _PHASE_EVENTS:
            phase = _PHASE_EVENTS[name]
            self.last_phase[cid] = phase
            self._count(cid, phase, "ok", "catch-up" if name == "caught-up" else None)
        elif name == "ceremony-failed":
            self._count(cid, _NEXT_PHASE.get(self.last_phase.get(cid), "finalize"), "failed")
        elif name == "ceremony-superseded":
            self._count(cid, "any", "superseded")
        elif name == "commit-withheld":
            self._count(cid, "output", "withheld")
        elif name == "refused":
            key = (str(e.get("rpc", "unknown")), str(e.get("code", "UNKNOWN")))
            self.refusals[key] = self.refusals.get(key, 0) + 1

    def _count(self, cid: str, phase: str, outcome: str, kind: str | None = None) -> None:
        key = (kind or self.kinds.get(cid, "unknown"), phase, outcome)
        self.ceremonies[key] = self.ceremonies.get(key, 0) + 1

    def add_release(self, r: dict[str, Any]) -> None:
        decision = str(r.get("decision", "unknown"))
        if decision == "approved":
            return
        key = (decision, reason_class(decision, str(r.get("reason", ""))))
        self.releases[key] = self.releases.get(key, 0) + 1


class Health:
    """Whether the member serves: set by the server, read by /healthz and `keycouncil_serving`."""

    def __init__(self) -> None:
        self.serving = False
        self.reason = "not started"

    def set(self, serving: bool, reason: str = "") -> None:
        self.serving, self.reason = serving, reason


class ShareHealth:
    """Each committed epoch's share: readable and valid (unsealed, checked against Y_i), cached
    by the file's stamp so a scrape costs a stat per share unless a file changed."""

    def __init__(self, node: MemberNode) -> None:
        self.node = node
        self._seen: dict[tuple[str, int], tuple[tuple[int, int], bool, str]] = {}
        self._lock = threading.Lock()

    def check(self) -> list[tuple[str, int, bool, str]]:
        out = []
        store = self.node.store
        with self._lock:
            for key_id in store.key_ids():
                for epoch in store.epochs(key_id):
                    try:
                        rec = store.record(key_id, epoch)
                    except KeycouncilError as exc:
                        out.append((key_id, epoch, False, str(exc)))
                        continue
                    if rec.holds_share:
                        out.append((key_id, epoch, *self._one(key_id, epoch)))
        return out

    def _one(self, key_id: str, epoch: int) -> tuple[bool, str]:
        path = self.node.store.epoch_dir(key_id, epoch) / "share.sealed"
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError as exc:
            return False, f"{path}: {exc.strerror}"
        cached = self._seen.get((key_id, epoch))
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        try:
            self.node.store.load_share(key_id, epoch)
            ok, why = True, ""
        except KeycouncilError as exc:
            ok, why = False, str(exc)
        self._seen[(key_id, epoch)] = (stamp, ok, why)
        return ok, why

    def problems(self) -> list[str]:
        return [f"key {k} epoch {e}: {why}" for k, e, ok, why in self.check() if not ok]


class MemberCollector(Collector):
    """Everything but RPC latency, computed at scrape time."""

    def __init__(self, node: MemberNode, health: Health, shares: ShareHealth) -> None:
        self.node, self.health, self.shares = node, health, shares
        folder = node.folder.path
        self._events = LogTail(folder / "log" / "events.jsonl")
        self._releases = LogTail(folder / "log" / "releases.jsonl")
        self.counts = LogCounts()
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        with self._lock:
            for e in self._events.new_records():
                self.counts.add_event(e)
            for r in self._releases.new_records():
                self.counts.add_release(r)
            counts = self.counts
            yield from self._info()
            yield _counter("keycouncil_ceremony_phases", "Ceremony phases this member went through, by "
                           "ceremony kind, phase and outcome (from log/events.jsonl)",
                           ["kind", "phase", "outcome"], counts.ceremonies)
            yield _counter("keycouncil_releases", "Recovery release decisions: released, refused or "
                           "pending, by reason class (from log/releases.jsonl)", ["decision", "reason"],
                           counts.releases)
            yield _counter("keycouncil_rpc_refusals", "Calls this member turned away, by RPC and "
                           "gRPC status code", ["method", "code"], counts.refusals)
        yield from self._gauges()

    def _info(self) -> Iterator[Any]:
        info = GaugeMetricFamily("keycouncil_member_info", "This member: name, version, served roster "
                                 "(value 1)", labels=["name", "version", "served_roster"])
        info.add_metric([self.node.folder.name, __version__, self.node.served.digest().hex()], 1)
        yield info

    def _gauges(self) -> Iterator[Any]:
        node = self.node
        yield _gauge("keycouncil_serving", "1 while the member serves (the gRPC server is up and "
                     "every committed share file is healthy), else 0", 1 if self.health.serving
                     and not self.shares.problems() else 0)
        yield _gauge("keycouncil_insecure_mode", "1 if secrets are stored without a passphrase "
                     "(development mode): must be 0 in production", 1 if node.folder.vault.insecure else 0)
        yield _gauge("keycouncil_ceremonies_in_flight", "Ceremonies started on this member and "
                     "neither done, failed nor superseded", len(in_flight(node.folder.path / "ceremonies")))
        pending = GaugeMetricFamily("keycouncil_approvals_pending", "Requests waiting for a human's "
                                    "approval: kind=recovery (release requests, member approve), "
                                    "kind=council-log (log entries, member pending)", labels=["kind"])
        heads, log_pending = _council_log(node)
        pending.add_metric(["recovery"], _recovery_pending(node))
        pending.add_metric(["council-log"], log_pending)
        yield pending
        head = GaugeMetricFamily("keycouncil_log_head", "Entries accepted in each key's council log on "
                                 "this member (its next sequence number)", labels=["key_id"])
        for key_id, next_seq in heads.items():
            head.add_metric([key_id], next_seq)
        yield head
        lag = GaugeMetricFamily("keycouncil_chain_anchor_lag_seconds", "Per key: seconds the oldest entry "
                                "this member accepted (since it started) has waited for a confirmed chain "
                                "anchor; 0 when none waits; no samples without a chain", labels=["key_id"])
        if node.chain is not None:
            for key_id, seconds in sorted(node.chain.anchor_lags().items()):
                lag.add_metric([key_id], seconds)
        yield lag
        epochs = GaugeMetricFamily("keycouncil_key_epoch", "The member's current epoch of each key",
                                   labels=["key_id"])
        healthy = GaugeMetricFamily("keycouncil_share_file_healthy", "1 if the share of this committed "
                                    "epoch is readable and valid (unsealed, x_i·G = Y_i), else 0",
                                    labels=["key_id", "epoch"])
        for key_id in node.store.key_ids():
            rec = node.store.current(key_id)
            if rec is not None:
                epochs.add_metric([key_id], rec.epoch)
        for key_id, epoch, ok, _why in self.shares.check():
            healthy.add_metric([key_id, str(epoch)], 1 if ok else 0)
        yield epochs
        yield healthy


def _council_log(node: MemberNode) -> tuple[dict[str, int], int]:
    """Each key's council-log head (next sequence number) and the entries waiting for the
    operator, read from the member's log book (`log/council/`)."""
    from council.node.log_book import folder_logbook

    try:
        book = folder_logbook(node.folder.path)
        return {k: book.state(k).next_seq for k in book.key_ids()}, len(book.pending())
    except (KeycouncilError, OSError):
        return {}, 0


def _recovery_pending(node: MemberNode) -> int:
    from council.node.release.records import ReleaseLog, RequestBook

    try:
        return sum(1 for e in RequestBook(node.folder.path).entries(ReleaseLog(node.folder.path))
                   if e.state == "pending")
    except (KeycouncilError, OSError):
        return 0


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, labels: list[str], values: dict[Any, int]) -> CounterMetricFamily:
    c = CounterMetricFamily(name, doc, labels=labels)
    for key, n in sorted(values.items()):
        c.add_metric(list(key), n)
    return c


class RpcLatency(grpc.ServerInterceptor):  # type: ignore[misc]
    """A gRPC server interceptor: each unary call's duration, by method and status code."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram("keycouncil_rpc_duration_seconds", "Duration of each gRPC call this "
                                   "member served, by method and status code", ["method", "code"],
                                   registry=registry, buckets=RPC_BUCKETS)

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = details.method.rsplit("/", 1)[-1]
        inner = handler.unary_unary

        def timed(request: Any, context: grpc.ServicerContext) -> Any:
            start, code = time.perf_counter(), "OK"
            try:
                return inner(request, context)
            except Exception:
                got = context.code() if hasattr(context, "code") else None
                code = got.name if isinstance(got, grpc.StatusCode) else "UNKNOWN"
                raise
            finally:
                self.histogram.labels(method, code).observe(time.perf_counter() - start)
        return grpc.unary_unary_rpc_method_handler(timed, handler.request_deserializer,
                                                   handler.response_serializer)


class MemberMetrics:
    """The registry, the health state and the interceptor of one member."""

    def __init__(self, node: MemberNode) -> None:
        self.registry = CollectorRegistry()
        self.health = Health()
        self.shares = ShareHealth(node)
        self.collector = MemberCollector(node, self.health, self.shares)
        self.registry.register(self.collector)
        self.interceptor = RpcLatency(self.registry)

    def healthz(self) -> tuple[bool, str]:
        """(serving, text) for /healthz."""
        if not self.health.serving:
            return False, f"not serving: {self.health.reason}"
        problems = self.shares.problems()
        if problems:
            return False, "not serving: " + "; ".join(problems)
        return True, "serving"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib signature)
        pass


@dataclass
class MetricsServer:
    """The running HTTP server of /metrics and /healthz."""

    server: WSGIServer
    thread: threading.Thread
    port: int

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def check_metrics_address(address: str) -> tuple[str, int]:
    """HOST:PORT; the host must be an address of this machine (use 127.0.0.1)."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise KeycouncilError(f"--metrics {address!r}: expected HOST:PORT, e.g. 127.0.0.1:9464")
    return host.strip("[]"), int(port)


def serve_metrics(metrics: MemberMetrics, address: str) -> MetricsServer:
    """Serve /metrics and /healthz on `address` in a daemon thread."""
    host, port = check_metrics_address(address)
    prometheus = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path in ("/healthz", "/health"):
            ok, text = metrics.healthz()
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "text/plain; charset=utf-8")])
            return [(text + "\n").encode()]
        if path in ("/metrics", "/"):
            return prometheus(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found: /metrics and /healthz only\n"]

    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    return MetricsServer(server, thread, server.server_address[1])
