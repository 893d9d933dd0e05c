"""Helpers for the node tests: member folders, rosters, in-process servers, member processes,
and decapsulation with shares read back from the members' data folders."""

from __future__ import annotations

import io
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from council.crypto import decryption, kem
from council.crypto.group import Point
from council.driver.operator import OperatorFolder
from council.node.events import EventLog
from council.node.folder import MemberFolder, write_json
from council.node.keystore import KeyStore
from council.node.node import DealingHook, MemberNode
from council.node.ports import loopback_port
from council.node.runtime import open_member
from council.roster import Roster
from council.rpc.server import RunningServer, start

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    return loopback_port()


@dataclass
class Council:
    """Member folders, an operator, rosters and running members (threads or processes)."""

    base: Path
    members: dict[str, MemberFolder] = field(default_factory=dict)
    operator: OperatorFolder | None = None
    servers: dict[str, RunningServer] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    roster_files: dict[str, Path] = field(default_factory=dict)
    serving_before: dict[str, int] = field(default_factory=dict)
    closed: bool = False
    _procs_lock: threading.Lock = field(default_factory=threading.Lock)

    def add_members(self, *names: str, passphrase: bytes | None = None) -> None:
        for name in names:
            self.members[name] = MemberFolder.init(self.base / name, name, f"127.0.0.1:{free_port()}",
                                                   passphrase)

    def op(self) -> OperatorFolder:
        if self.operator is None:
            self.operator = OperatorFolder.init(self.base / "operator", "ops", None)
        return self.operator

    def roster(self, label: str, threshold: int, names: Sequence[str]) -> Roster:
        r = Roster(threshold, tuple(self.members[n].card() for n in names), (self.op().card(),))
        path = self.base / f"roster-{label}.json"
        write_json(path, r.to_json())
        self.roster_files[label] = path
        return r

    # In-process servers -----------------------------------------------------------------------
    def serve(self, name: str, roster_label: str, hook: DealingHook | None = None) -> None:
        node = open_member(self.base / name, self.roster_files[roster_label], None,
                           log_to_stderr=False, dealing_hook=hook)
        self.servers[name] = start(node, self.members[name].listen, workers=4)

    def stop(self, name: str) -> None:
        self.servers.pop(name).stop(0)

    # Processes --------------------------------------------------------------------------------
    def serving_count(self, name: str) -> int:
        log = self.base / name / "log" / "events.jsonl"
        return log.read_text().count('"event": "serving"') if log.exists() else 0

    def spawn(self, name: str, roster_label: str, crash_after: str | None = None) -> None:
        """Start a member process; with `crash_after`, one that SIGKILLs itself after persisting
        that phase (tests/node/crashing_member.py)."""
        self.serving_before[name] = self.serving_count(name)
        folder, roster = str(self.base / name), str(self.roster_files[roster_label])
        args = ([str(Path(__file__).with_name("crashing_member.py")), folder, roster, crash_after]
                if crash_after else ["-m", "council.node", "serve", folder, "--roster", roster])
        with self._procs_lock, open(self.base / f"{name}.stderr", "ab") as log:
            if self.closed:  # a restart thread that outlived its test starts nothing
                return
            self.procs[name] = subprocess.Popen([sys.executable, *args], cwd=ROOT,
                                                stdout=subprocess.DEVNULL, stderr=log, env=env())

    def kill(self, name: str) -> None:
        p = self.procs.pop(name)
        p.send_signal(signal.SIGKILL)
        p.wait(10)

    def wait_serving(self, names: Sequence[str], timeout: float = 30.0) -> None:
        """Wait until each process logged `serving` (its port accepts TLS from then on)."""
        deadline = time.monotonic() + timeout
        for name in names:
            while self.serving_count(name) <= self.serving_before.get(name, 0):
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise AssertionError(f"{name} exited: {(self.base / f'{name}.stderr').read_text()}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} did not start serving")
                time.sleep(0.05)
            self.serving_before[name] = self.serving_count(name)

    def close(self) -> None:
        for s in list(self.servers.values()):
            s.stop(0)
        self.servers.clear()
        with self._procs_lock:
            self.closed = True
            for p in self.procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                p.wait(10)
            self.procs.clear()

    # Shares read back from the data folders ---------------------------------------------------
    def store(self, name: str) -> KeyStore:
        f = self.members[name]
        return KeyStore(f.path / "keys", f.vault, f.identity.signer.public_key)

    def decapsulates(self, key_id: str, epoch: int, roster: Roster, names: Sequence[str],
                     public_key: Point) -> bool:
        """Encapsulate to `public_key`; decapsulate with the `names`' shares of `epoch` only."""
        label = secrets.token_bytes(16)
        ciphertext, data_key = kem.encapsulate(public_key, label)
        ctx = decryption.DecryptionContext(key_id, epoch, secrets.token_bytes(8))
        shares, ys = [], {}
        for name in names:
            store = self.store(name)
            rec = store.record(key_id, epoch)
            j = roster.index_of(self.members[name].identity.signer.public_key)
            assert j is not None and rec.member_index == j
            shares.append(decryption.create_share(ctx, ciphertext, label, j, store.load_share(key_id, epoch)))
            ys = rec.verification_shares
        combined = decryption.combine(ctx, ciphertext, shares, ys, roster.threshold)
        return kem.derive_data_key(combined.shared_point, ciphertext.r_point, public_key, label) == data_key


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("KEYCOUNCIL_PASSPHRASE", None)
    return e


def quiet_node(folder: MemberFolder, roster: Roster) -> MemberNode:
    """A node without a server (for storage tests)."""
    return MemberNode(folder, roster, EventLog(folder.name, stream=io.StringIO()))


def rpc_code(exc: BaseException) -> grpc.StatusCode | None:
    return exc.code() if isinstance(exc, grpc.RpcError) else None


def direct_ceremony(nodes: Sequence[MemberNode], req: object, operator_cert_der: bytes) -> None:
    """Run the four phases by calling nodes directly (no gRPC), for storage tests."""
    dealings = [m for n in nodes if (m := n.deal(req, operator_cert_der)) is not None]  # type: ignore[arg-type]
    responses = [m for n in nodes if (m := n.check(req, operator_cert_der, dealings)) is not None]  # type: ignore[arg-type]
    outs = [n.output(req, operator_cert_der, responses) for n in nodes]  # type: ignore[arg-type]
    commits = [o.commit_signature for o in outs if o.commit_signature is not None]
    for n in nodes:
        n.finalize(req, operator_cert_der, commits)  # type: ignore[arg-type]
