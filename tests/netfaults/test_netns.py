"""Real network faults: each member in its own network namespace on a veth link, the driver in the
test's namespace reaching it through a small relay (this kernel has no netem: the relay adds the
delay). Faults: one member answering every call 2 s late; a partition (the veth links of n - t
members taken down) during a ceremony and during a recovery; a member that answers half of its
calls and hangs on the rest. Ceremonies and recoveries complete, or fail cleanly naming the
members, and every one returns within a bound derived from its deadlines: nothing stalls.

Needs root and `ip netns` (CI runs as root); skipped with the reason otherwise. Only namespaces
and links this module creates are touched (names `kc<tag>...`, addresses in 198.18.0.0/15, the
benchmarking range of RFC 2544), and all are removed at the end.
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from node_helpers import Council
from relay import Relay

from council.driver.ceremony import CeremonyReport, run_dkg, run_reshare
from council.driver.phases import Timing
from council.driver.query import fetch_bundle
from council.localnet.council import DEMO_RELEASE_POLICY, TEST_GOVERNANCE
from council.localnet.processes import member_command
from council.node.folder import MemberFolder
from council.roster import Roster
from council.storage.folders import write_json

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
HERE = Path(__file__).resolve().parent
T = TypeVar("T")
N, THRESHOLD = 5, 3
PORT = 7443
BOUND = 150.0
"""No ceremony or recovery here may take longer: their deadlines add up to far less."""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def _netns_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"kcp{secrets.token_hex(3)}"
    try:
        _ip("netns", "add", probe)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"ip netns add is not permitted here: {getattr(exc, 'stderr', b'') or exc}"
    _ip("netns", "del", probe)
    return None


@dataclass
class NetCouncil:
    """Members m1..m5 in namespaces, one relay each, the council's operator, roster r1."""

    c: Council
    tag: str
    octet: int
    relays: dict[str, Relay] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)
    roster: Roster | None = None

    def names(self) -> list[str]:
        return [f"m{k}" for k in range(1, N + 1)]

    def ns(self, name: str) -> str:
        return f"kc{self.tag}{name}"

    def host_link(self, name: str) -> str:
        return f"kc{self.tag}h{name[1:]}"

    def addr(self, k: int, side: int) -> str:
        return f"198.18.{self.octet}.{4 * k + side}"

    def build(self) -> None:
        op = self.c.init_operator()
        cards = []
        for k, name in enumerate(self.names(), start=1):
            ns, host, inner = self.ns(name), self.host_link(name), f"kc{self.tag}n{k}"
            _ip("netns", "add", ns)
            self.namespaces.append(ns)
            _ip("link", "add", host, "type", "veth", "peer", "name", inner, "netns", ns)
            _ip("addr", "add", f"{self.addr(k, 1)}/30", "dev", host)
            _ip("link", "set", host, "up")
            for cmd in (["addr", "add", f"{self.addr(k, 2)}/30", "dev", inner], ["link", "set", inner, "up"],
                        ["link", "set", "lo", "up"]):
                _ip("-n", ns, *cmd)
            folder = MemberFolder.init(self.c.base / name, name, f"{self.addr(k, 2)}:{PORT}", None)
            (folder.path / "release-policy.toml").write_text(DEMO_RELEASE_POLICY)
            (folder.path / "governance.toml").write_text(TEST_GOVERNANCE)
            self.c.members[name] = folder
            relay = Relay(("127.0.0.1", 0), (self.addr(k, 2), PORT))
            self.relays[name] = relay
            cards.append(replace(folder.card(), address=f"127.0.0.1:{relay.sock.getsockname()[1]}"))
        self.roster = Roster(THRESHOLD, tuple(cards), (op.card(),))
        path = self.c.base / "roster-r1.json"
        write_json(path, self.roster.to_json())
        self.c.roster_files["r1"] = path
        for name in self.names():
            self.spawn(name)
        self.c.wait_serving(self.names(), 90)

    def spawn(self, name: str, hang: str = "no") -> None:
        folder = self.c.base / name
        argv = [str(HERE / "netns_member.py"), self.ns(name), hang, *member_command(folder, self.c.roster_files["r1"])]
        self.c.processes.spawn(name, folder, argv)

    def partition(self, names: list[str], up: bool = False) -> None:
        for name in names:
            _ip("link", "set", self.host_link(name), "up" if up else "down")

    def heal(self) -> None:
        self.partition(self.names(), up=True)
        for r in self.relays.values():
            r.delay = 0.0

    def close(self) -> None:
        self.c.close()
        for r in self.relays.values():
            r.close()
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetCouncil]:
    reason = _netns_unavailable()
    if reason:
        pytest.skip(reason)
    nc = NetCouncil(Council(tmp_path_factory.mktemp("netns")), secrets.token_hex(2), 1 + secrets.randbelow(250))
    try:
        nc.build()
        yield nc
    finally:
        nc.close()
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert f"kc{nc.tag}" not in left, f"namespaces left behind: {left}"


def bounded(fn: Callable[[], T], bound: float = BOUND) -> T:
    """Run `fn` in a thread; fail if it has not returned within `bound` seconds (a stall)."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(_capture(fn)), daemon=True)
    worker.start()
    worker.join(bound)
    assert not worker.is_alive(), f"still running after {bound:.0f}s: nothing may stall"
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]  # type: ignore[no-any-return]


def _capture(fn: Callable[[], T]) -> T | BaseException:
    try:
        return fn()
    except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
        return exc


def _dkg(net: NetCouncil, key: str, timing: Timing) -> CeremonyReport:
    assert net.roster is not None
    return bounded(lambda: run_dkg(net.roster, key, net.c.op(), timing))  # type: ignore[arg-type]


def test_a_member_answering_every_call_two_seconds_late(net: NetCouncil) -> None:
    net.relays["m3"].delay = 2.0
    try:
        patient = _dkg(net, "slow", Timing(call_timeout=10, retry_window=2))
        assert patient.committed and "m3" not in patient.missing, patient.lines()
        hurried = _dkg(net, "hurried", Timing(call_timeout=1.0, retry_window=0.5))
        assert hurried.committed, hurried.lines()
        assert "DEADLINE_EXCEEDED" in hurried.missing.get("m3", ""), hurried.lines()
        assert set(hurried.missing) == {"m3"}, hurried.lines()
    finally:
        net.heal()


def test_partition_of_n_minus_t_members_during_a_ceremony(net: NetCouncil) -> None:
    assert net.roster is not None
    dkg = _dkg(net, "part", Timing(call_timeout=10, retry_window=2))
    assert dkg.committed, dkg.lines()
    cut = ["m4", "m5"]  # n - t of them

    def at(phase: str) -> None:
        if phase == "check":
            net.partition(cut)
    try:
        report = bounded(lambda: run_reshare(net.roster, net.roster, "part", net.c.op(),  # type: ignore[arg-type]
                                             Timing(call_timeout=4, retry_window=2), hook=at))
        assert report.committed, report.lines()
        assert set(report.missing) == set(cut), report.lines()
    finally:
        net.heal()


def _seal(net: NetCouncil, key: str, store: Path, payload: bytes) -> None:
    from dumps.seal import seal_stream
    from dumps.sealer import SealingIdentity
    from dumps.target import SealTarget

    assert net.roster is not None
    bundle = fetch_bundle(net.roster, key, net.c.op(), Timing(10, 2))
    sealer = SealingIdentity.simulated()
    net.c.admit_sealer(net.roster, key, sealer)  # members release only for a sealer admitted in the log
    store.mkdir(parents=True, exist_ok=True)
    with open(store / "probe-1.kcd", "wb") as sink:
        seal_stream(io.BytesIO(payload), sink, target=SealTarget.from_bundle(bundle),
                    sealer=sealer, app_id="probe", dump_version=1)


def _recover(net: NetCouncil, store: Path, out: Path) -> Any:
    from cli.recover import recover

    args = ["--roster", str(net.c.roster_files["r1"]), "--operator", str(net.c.op().path), "--store", str(store),
            "--app", "probe", "-o", str(out), "--deadline", "8"]
    return bounded(lambda: CliRunner().invoke(recover, args, catch_exceptions=True))


def test_partition_during_recovery(net: NetCouncil, tmp_path: Path) -> None:
    dkg = _dkg(net, "rec", Timing(call_timeout=10, retry_window=2))
    assert dkg.committed, dkg.lines()
    payload = secrets.token_bytes(5000)
    _seal(net, "rec", tmp_path / "store", payload)
    try:
        timer = threading.Timer(0.3, net.partition, (["m4", "m5"],))  # cut n - t members mid-way
        timer.start()
        result = _recover(net, tmp_path / "store", tmp_path / "a.bin")
        timer.join()
        assert result.exit_code == 0, (result.output, str(result.exception))
        assert (tmp_path / "a.bin").read_bytes() == payload
        net.partition(["m3"])  # now only t - 1 remain: a clean failure naming the others
        result = _recover(net, tmp_path / "store", tmp_path / "b.bin")
        assert result.exit_code != 0 and not (tmp_path / "b.bin").exists()
        message = str(result.exception)
        assert all(n in message for n in ("m3", "m4", "m5")), message
    finally:
        net.heal()


def test_a_member_answering_half_its_calls_and_hanging_on_the_rest(net: NetCouncil) -> None:
    net.c.kill("m2")
    net.spawn("m2", hang="half")
    net.c.wait_serving(["m2"], 90)
    try:
        report = _dkg(net, "hang", Timing(call_timeout=3, retry_window=1))
        if report.committed:
            assert set(report.missing) <= {"m2"}, report.lines()
        else:
            assert "m2" in " ".join(report.lines()), report.lines()
        assert all("DEADLINE_EXCEEDED" in why for why in report.missing.values()), report.lines()
    finally:
        net.c.kill("m2")
        net.spawn("m2")
        net.c.wait_serving(["m2"], 90)
