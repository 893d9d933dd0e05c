"""Fuzzing through the real server: hypothesis builds requests for every RPC of every service
(Member, Recovery, CouncilLog) and sends them, over mutual TLS as the council's operator, to a
running member process that holds a committed key with a started log.

Requests are either built field by field from the message descriptors (hostile strings, bytes of
any size up to a few KiB, extreme integers, nested messages) or real requests recorded from a DKG
with one field replaced by a hostile value. Every answer must be OK or a status that names the
client's fault (never UNKNOWN / INTERNAL: an unhandled exception; never DATA_LOSS: that says the
member's own files are damaged; never UNAVAILABLE / DEADLINE_EXCEEDED: the member died or hung).
Sizes at and beyond the receive limits are sent separately. Afterwards the member still runs,
and its RSS, event log and stderr grew by bounded amounts.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from council.protocol import tls
from council.protocol.gen import (
    council_pb2,
    council_pb2_grpc,
    log_pb2,
    log_pb2_grpc,
    recovery_pb2,
    recovery_pb2_grpc,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
EXAMPLES = int(os.environ.get("KEYCOUNCIL_FUZZ_EXAMPLES", "25"))
CLIENT_FAULT = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
                grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED,
                grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.ABORTED,
                grpc.StatusCode.UNAUTHENTICATED}
SERVICES = [(council_pb2, council_pb2_grpc.MemberStub, "Member"),
            (recovery_pb2, recovery_pb2_grpc.RecoveryStub, "Recovery"),
            (log_pb2, log_pb2_grpc.CouncilLogStub, "CouncilLog")]
HOSTILE_TEXT = ["", "k", "..", "../../etc/passwd", "k/../../x", "\x00", "k\x00x", "é" * 40, "K" * 64, "K" * 65,
                "a" * 4096, "%s%n", "\ud7ff", "CON", "-", "."]
MiB = 1 << 20
RSS_GROWTH = 200 * MiB
LOG_GROWTH = 2 * MiB


@dataclass
class Target:
    council: Council
    channel: grpc.Channel
    stubs: dict[str, Any]
    recorded: dict[str, list[Any]]

    @property
    def pid(self) -> int:
        return self.council.pid("m1")

    def alive(self) -> bool:
        return "m1" in self.council.running()


def _record_calls(recorded: dict[str, list[Any]]) -> Any:
    """A client interceptor keeping every request the driver sends (valid requests to mutate)."""
    class Recorder(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
        def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            recorded.setdefault(details.method.rsplit("/", 1)[-1], []).append(request)
            return continuation(details, request)
    return Recorder()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    c = Council(tmp_path_factory.mktemp("fuzz"))
    names = ["m1", "m2", "m3"]
    recorded: dict[str, list[Any]] = {}
    real = grpc.secure_channel
    try:
        c.add_members(*names)
        roster = c.roster("r1", 2, names)
        for n in names:
            c.spawn(n, "r1")
        c.wait_serving(names)
        grpc.secure_channel = lambda *a, **k: grpc.intercept_channel(real(*a, **k), _record_calls(recorded))
        try:
            report = run_dkg(roster, "k", c.op(), Timing(call_timeout=20, retry_window=2))
        finally:
            grpc.secure_channel = real
        assert report.committed, report.lines()
        ident = c.op().identity
        card = c.members["m1"].card()
        channel = tls.secure_channel(card.address, card.tls_cert.encode(), ident.tls_key_pem, ident.tls_cert_pem)
        stubs = {name: stub(channel) for _, stub, name in SERVICES}
        yield Target(c, channel, stubs, recorded)
        channel.close()
    finally:
        grpc.secure_channel = real
        c.close()


def _methods() -> list[tuple[str, str, Any]]:
    """(service, method, request class) for every RPC of every service."""
    out = []
    for module, _, service in SERVICES:
        for m in module.DESCRIPTOR.services_by_name[service].methods:
            out.append((service, m.name, getattr(module, m.input_type.name)))
    return out


METHODS = _methods()


def _repeated(field: Any) -> bool:
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == field.LABEL_REPEATED


def _scalar(field: Any) -> st.SearchStrategy[Any]:
    t = field.type
    fd = field.__class__
    if t == fd.TYPE_STRING:
        return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=80))
    if t == fd.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.sampled_from([b"", bytes(16), bytes(32), b"\xff" * 33]),
                         st.integers(0, 4096).map(lambda n: os.urandom(n)))
    if t == fd.TYPE_BOOL:
        return st.booleans()
    if t == fd.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values] + [999])
    if t in (fd.TYPE_UINT32, fd.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    if t in (fd.TYPE_UINT64, fd.TYPE_FIXED64):
        return st.sampled_from([0, 1, 2, 2**32, 2**63 - 1, 2**64 - 1]) | st.integers(0, 1000)
    if t in (fd.TYPE_INT32, fd.TYPE_SINT32, fd.TYPE_SFIXED32):
        return st.integers(-(2**31), 2**31 - 1)
    if t in (fd.TYPE_INT64, fd.TYPE_SINT64, fd.TYPE_SFIXED64):
        return st.sampled_from([-(2**63), -1, 0, 1, 2**63 - 1]) | st.integers(-1000, 1000)
    return st.floats(allow_nan=True)


def message(cls: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A message of `cls` with every field either unset or drawn (nested messages to depth 3)."""
    parts = {}
    for field in cls.DESCRIPTOR.fields:
        if field.type == field.TYPE_MESSAGE:
            sub = field.message_type._concrete_class
            value = message(sub, depth + 1) if depth < 3 else st.just(sub())
        else:
            value = _scalar(field)
        if _repeated(field):
            value = st.lists(value, max_size=4 if depth < 2 else 1)
        parts[field.name] = st.one_of(st.none(), value)
    return st.fixed_dictionaries(parts).map(lambda d: _build(cls, d))


def _build(cls: Any, values: dict[str, Any]) -> Any:
    msg = cls()
    for name, value in values.items():
        if value is None:
            continue
        field = cls.DESCRIPTOR.fields_by_name[name]
        if _repeated(field):
            getattr(msg, name).extend(value) if field.type != field.TYPE_MESSAGE else [
                getattr(msg, name).add().CopyFrom(v) for v in value]
        elif field.type == field.TYPE_MESSAGE:
            getattr(msg, name).CopyFrom(value)
        else:
            setattr(msg, name, value)
    return msg


@st.composite
def mutated(draw: Any, cls: Any, valid: list[Any]) -> Any:
    """A recorded valid request with one field (possibly nested) replaced by a drawn one."""
    msg = cls()
    msg.CopyFrom(draw(st.sampled_from(valid)))
    node = msg
    for _ in range(draw(st.integers(0, 2))):
        subs = [f for f in node.DESCRIPTOR.fields if f.type == f.TYPE_MESSAGE and not _repeated(f)]
        if not subs:
            break
        node = getattr(node, draw(st.sampled_from(subs)).name)
    if not node.DESCRIPTOR.fields:
        return msg
    field = draw(st.sampled_from(list(node.DESCRIPTOR.fields)))
    replacement = draw(message(type(node)))
    node.ClearField(field.name)
    node.MergeFrom(_only(replacement, field.name))
    return msg


def _only(msg: Any, name: str) -> Any:
    out = type(msg)()
    for field, value in msg.ListFields():
        if field.name == name:
            if _repeated(field):
                getattr(out, name).extend(value) if field.type != field.TYPE_MESSAGE else [
                    getattr(out, name).add().CopyFrom(v) for v in value]
            elif field.type == field.TYPE_MESSAGE:
                getattr(out, name).CopyFrom(value)
            else:
                setattr(out, name, value)
    return out


def _report(what: str, figures: dict[str, Any]) -> None:
    """Append figures to $KEYCOUNCIL_FUZZ_REPORT (JSON lines) when set: docs/reliability.md."""
    path = os.environ.get("KEYCOUNCIL_FUZZ_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"what": what, **figures}) + "\n")


def call(t: Target, service: str, method: str, request: Any, timeout: float = 15.0) -> grpc.StatusCode:
    try:
        getattr(t.stubs[service], method)(request, timeout=timeout)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def log_sizes(t: Target) -> int:
    folder = t.council.members["m1"].path
    return sum(p.stat().st_size for p in (folder / "log" / "events.jsonl", t.council.processes.log_path("m1"))
               if p.exists())


@pytest.mark.parametrize("service,method,cls", METHODS, ids=[f"{s}.{m}" for s, m, _ in METHODS])
def test_every_rpc_answers_hostile_requests_with_the_right_status(target: Target, service: str, method: str,
                                                                  cls: Any) -> None:
    valid = target.recorded.get(method, [])
    strategy = st.one_of(message(cls), mutated(cls, valid)) if valid else message(cls)
    seen: dict[str, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def fuzz(request: Any) -> None:
        code = call(target, service, method, request)
        seen[code.name] = seen.get(code.name, 0) + 1
        assert code in CLIENT_FAULT, f"{service}.{method}: {code.name} for {str(request)[:300]}"
        assert target.alive(), f"the member died on {service}.{method}: {target.council.log_tail('m1')}"

    fuzz()
    _report(f"{service}.{method}", seen)
    assert target.alive()
    assert call(target, "Member", "Status", council_pb2.StatusRequest()) is grpc.StatusCode.OK


SIZES = [64 << 10, (64 << 10) + 1, 1 << 20, (1 << 20) + 4097, 4 << 20, (4 << 20) + 1, 16 << 20, (16 << 20) + 1,
         (64 << 20) + 1]


def test_sizes_at_and_beyond_the_limits_leave_the_member_bounded(target: Target) -> None:
    """Every RPC with its string and bytes fields at sizes around each receive limit (every field
    up to 64 KiB + 1, the first field beyond, 64 MiB + 1 once per service): the member answers
    each, stays up, and its RSS and logs grow by bounded amounts (no echo of the input)."""
    rng = random.Random(15)
    rss0, logs0 = rss(target.pid), log_sizes(target)
    codes: dict[str, int] = {}
    services_done: set[str] = set()
    for service, method, cls in METHODS:
        fields = [f for f in cls.DESCRIPTOR.fields if f.type in (f.TYPE_STRING, f.TYPE_BYTES)]
        for size in SIZES:
            if size > (16 << 20) + 1 and service in services_done:
                continue  # beyond gRPC's own ceiling: once per service is enough
            for field in fields[:1] if size > (64 << 10) + 1 else fields:
                msg = cls()
                value: Any = ("k" * size) if field.type == field.TYPE_STRING else rng.randbytes(size)
                if _repeated(field):
                    getattr(msg, field.name).append(value)
                else:
                    setattr(msg, field.name, value)
                code = call(target, service, method, msg, timeout=60)
                codes[code.name] = codes.get(code.name, 0) + 1
                assert code in CLIENT_FAULT, f"{service}.{method}.{field.name} at {size} bytes: {code.name}"
                assert target.alive(), f"the member died: {target.council.log_tail('m1')}"
            if size > (16 << 20) + 1 and fields:
                services_done.add(service)
    grown_rss, grown_logs = rss(target.pid) - rss0, log_sizes(target) - logs0
    _report("sizes", {"calls": sum(codes.values()), "codes": codes, "rss_growth_mib": round(grown_rss / MiB, 1),
                      "log_growth_bytes": grown_logs, "rss_mib": round(rss(target.pid) / MiB, 1)})
    assert grown_logs < LOG_GROWTH, f"logs grew by {grown_logs} bytes over {sum(codes.values())} calls ({codes})"
    assert grown_rss < RSS_GROWTH, f"RSS grew by {grown_rss >> 20} MiB ({codes})"
