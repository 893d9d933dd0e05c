"""Helpers for the council-log tests over member PROCESSES whose operators must approve.

The members run as real `python -m council.node` processes on loopback (mutual TLS) with no
governance.toml: every widening entry waits for `keycouncil member approve`. The CLI runs either
in this process through `cli.run.run_group` (the real error handling and exit codes), or as a
process (`kc_proc`) where the issue's commands are typed as an operator would.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from node_helpers import ROOT, Council, env

from council.bundle import KeyBundle
from council.crypto.messages import Kind
from council.driver.ceremony import CeremonyReport, drive_signed, run_dkg
from council.driver.client import MemberClient
from council.driver.phases import Timing
from council.driver.query import latest_epoch
from council.log import Entry, LogRecord, LogState
from council.node.log_book import folder_logbook
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.protocol.gen import log_pb2 as pb
from council.protocol.gen import log_pb2_grpc as pb_grpc
from council.roster import Roster
from council.storage.folders import write_json

FAST = Timing(call_timeout=20, retry_window=0.5)
NAMES = ["m1", "m2", "m3"]
RETRY = ["--retry-window", "0.5", "--timeout", "20"]


@dataclass(frozen=True)
class Out:
    """A CLI run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def json(self) -> dict[str, object]:
        return json.loads(self.out)  # type: ignore[no-any-return]


def kc(*args: str | Path) -> Out:
    """`keycouncil ARGS` in this process, with the entry point's error handling and exit codes."""
    from cli.main import _register, cli
    from cli.run import run_group

    _register()
    with CliRunner().isolation() as streams:
        try:
            run_group(cli, [str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    return Out(code, out, err)


def kc_proc(*args: str | Path, timeout: float = 120) -> Out:
    """`keycouncil ARGS` as its own process (the installed entry point's code path)."""
    p = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", *map(str, args)],
                       cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)
    return Out(p.returncode, p.stdout, p.stderr)


class LogNet:
    """Three member processes (t = 2) serving roster r1, and the operator; manual approvals."""

    def __init__(self, base: Path) -> None:
        self.council = Council(base)
        self.council.add_members(*NAMES, governance=None)
        self.roster, self.roster_path = self.council.write_roster("r1", 2, NAMES)
        self.op = self.council.op()

    @property
    def base(self) -> Path:
        return self.council.base

    def folder(self, name: str) -> Path:
        return self.base / name

    def up(self) -> None:
        """Every member of r1 running (restart those a test stopped)."""
        down = [n for n in NAMES if n not in self.council.running()]
        for n in down:
            self.council.spawn(n, "r1")
        self.council.wait_serving(down)

    def dkg(self, key_id: str) -> KeyBundle:
        report = run_dkg(self.roster, key_id, self.op, FAST)
        assert report.committed and report.bundle is not None, report.lines()
        assert "ACCEPTED" in " ".join(report.log), report.log
        return report.bundle

    def write_roster(self, label: str, threshold: int, names: Sequence[str]) -> tuple[Roster, Path]:
        """A roster file written directly (bypassing `roster new` and its checks)."""
        roster = Roster(threshold, tuple(self.council.members[n].card() for n in names), (self.op.card(),))
        path = self.base / f"roster-{label}.json"
        write_json(path, roster.to_json())
        return roster, path

    # The log as each member stores it ---------------------------------------------------------
    def state(self, name: str, key_id: str) -> LogState:
        return folder_logbook(self.folder(name)).state(key_id)

    def records(self, name: str, key_id: str) -> list[LogRecord]:
        return folder_logbook(self.folder(name)).records(key_id)

    def approved(self, name: str, key_id: str) -> dict[int, bytes]:
        return folder_logbook(self.folder(name)).approvals(key_id)

    # Raw log calls to one member (what a hostile client can send) -----------------------------
    def _stub(self, name: str) -> tuple[MemberClient, pb_grpc.CouncilLogStub]:
        client = MemberClient(self.council.members[name].card(), self.op)
        return client, pb_grpc.CouncilLogStub(client.channel)  # type: ignore[no-untyped-call]

    def propose_to(self, name: str, entry: Entry) -> pb.ProposeReply:
        client, stub = self._stub(name)
        try:
            return stub.Propose(pb.ProposeRequest(entry=entry.to_bytes()), timeout=20)
        finally:
            client.close()

    def accept_at(self, name: str, record: LogRecord) -> pb.AcceptReply:
        client, stub = self._stub(name)
        try:
            return stub.Accept(pb.AcceptRequest(record=record.to_bytes()), timeout=20)
        finally:
            client.close()

    # A re-share sent straight to the members, without the client's log step -------------------
    def drive_reshare(self, key_id: str, new: Roster, old: Roster | None = None) -> CeremonyReport:
        old = old or self.roster
        previous = latest_epoch(old, key_id, self.op, FAST, pinned=old.digest())
        request = StartRequest(Kind.RESHARE, secrets.token_bytes(16), key_id, new, old, previous.data)
        return drive_signed(SignedRequest.create(request, self.op.identity.signer), self.op, FAST)

    # Shares ---------------------------------------------------------------------------------------
    def erased_events(self, name: str) -> list[str]:
        events = self.folder(name) / "log" / "events.jsonl"
        return [line for line in events.read_text().splitlines() if '"share-erased"' in line]

    def assert_shares_intact(self, key_id: str, bundle: KeyBundle) -> None:
        """No member erased anything, every share of epoch 0 is on disk, and t of them still decrypt."""
        for n in NAMES:
            assert self.erased_events(n) == [], (n, self.erased_events(n))
            assert (self.folder(n) / "keys" / key_id / "0" / "share.sealed").exists(), n
            assert self.council.store(n).epochs(key_id) == [0], n
        assert self.council.decapsulates(key_id, 0, self.roster, ["m1", "m3"], bundle.public_key)

    def close(self) -> None:
        self.council.close()
