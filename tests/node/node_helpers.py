"""Helpers for the node tests: member folders, rosters, in-process servers, member processes,
and decapsulation with shares read back from the members' data folders."""

from __future__ import annotations

import io
import secrets
import subprocess
from collections.abc import Sequence
from pathlib import Path

import grpc

from council.crypto import decryption, kem
from council.crypto.group import Point
from council.driver.operator import OperatorFolder
from council.localnet.council import TEST_GOVERNANCE, LocalCouncil, free_port  # noqa: F401  (free_port re-exported)
from council.localnet.processes import child_env, member_command, serving_count
from council.node.events import EventLog
from council.node.folder import MemberFolder
from council.node.keystore import KeyStore
from council.node.node import DealingHook, MemberNode
from council.node.runtime import open_member
from council.node.server import RunningServer, start
from council.roster import Roster

ROOT = Path(__file__).resolve().parents[2]


class Council(LocalCouncil):
    """Member folders, an operator, rosters and running members (threads or processes)."""

    def __init__(self, base: Path) -> None:
        super().__init__(base, log_dir=base)
        self.servers: dict[str, RunningServer] = {}

    def add_members(self, *names: str, passphrase: bytes | None = None,  # type: ignore[override]
                    governance: str | None = TEST_GOVERNANCE) -> None:
        super().add_members(names, passphrase, governance)

    # In-process servers -----------------------------------------------------------------------
    def serve(self, name: str, roster_label: str, hook: DealingHook | None = None) -> None:
        node = open_member(self.base / name, self.roster_files[roster_label], None,
                           log_to_stderr=False, dealing_hook=hook)
        self.servers[name] = start(node, self.members[name].listen, workers=4)

    def stop(self, name: str) -> None:
        self.servers.pop(name).stop(0)

    # Processes --------------------------------------------------------------------------------
    @property
    def procs(self) -> dict[str, subprocess.Popen[bytes]]:
        return self.processes.procs

    def serving_count(self, name: str) -> int:
        return serving_count(self.base / name)

    def spawn(self, name: str, roster_label: str, crash_after: str | None = None) -> None:  # type: ignore[override]
        """Start a member process; with `crash_after`, one that SIGKILLs itself after persisting
        that phase (tests/node/crashing_member.py)."""
        folder, roster = self.base / name, self.roster_files[roster_label]
        argv = ([str(Path(__file__).with_name("crashing_member.py")), str(folder), str(roster), crash_after]
                if crash_after else member_command(folder, roster))
        self.processes.spawn(name, folder, argv)

    def wait_serving(self, names: Sequence[str], timeout: float = 30.0) -> None:
        """Wait until each process logged `serving` (its port accepts TLS from then on)."""
        self.processes.wait_serving(names, timeout)

    def close(self) -> None:
        for s in list(self.servers.values()):
            s.stop(0)
        self.servers.clear()
        super().close()

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
    """The environment of a member process started by a test (see council.localnet.processes)."""
    return child_env()


def quiet_node(folder: MemberFolder, roster: Roster) -> MemberNode:
    """A node without a server (for storage tests)."""
    return MemberNode(folder, roster, EventLog(folder.name, stream=io.StringIO()))


def rpc_code(exc: BaseException) -> grpc.StatusCode | None:
    return exc.code() if isinstance(exc, grpc.RpcError) else None


def direct_ceremony(nodes: Sequence[MemberNode], req: object, operator_cert_der: bytes) -> None:
    """Run the phases (deal, check, output, finalize, erase) by calling nodes directly (no gRPC)."""
    dealings = [m for n in nodes if (m := n.deal(req, operator_cert_der)) is not None]  # type: ignore[arg-type]
    responses = [m for n in nodes if (m := n.check(req, operator_cert_der, dealings)) is not None]  # type: ignore[arg-type]
    outs = [n.output(req, operator_cert_der, responses) for n in nodes]  # type: ignore[arg-type]
    commits = [o.commit_signature for o in outs if o.commit_signature is not None]
    stored = [r.stored_confirmation for n in nodes
              if (r := n.finalize(req, operator_cert_der, commits)).stored_confirmation is not None]  # type: ignore[arg-type]
    for n in nodes:  # step 5b: with t' stored confirmations, old shares are erased
        n.finalize(req, operator_cert_der, commits, stored)  # type: ignore[arg-type]


def direct_genesis(nodes: Sequence[MemberNode], key_id: str, operator: OperatorFolder) -> None:
    """The genesis entry of `key_id` after a direct DKG (what the driver appends)."""
    from council.log import Genesis

    rec = nodes[0].store.record(key_id, 0)
    body = Genesis(0, rec.roster, rec.commit.public_key.to_bytes(), rec.commit.transcript_digest)
    direct_log_for(nodes, key_id, body, operator)


def direct_log_for(nodes: Sequence[MemberNode], key_id: str, body: object, operator: OperatorFolder) -> None:
    from council.driver.log_client import operator_entry
    from council.log import LogRecord

    entry = operator_entry(operator, nodes[0].logbook.state(key_id), body)  # type: ignore[arg-type]
    approvals = [a.approval for n in nodes if (a := n.logbook.propose(entry)).approval is not None]
    record = LogRecord.of(entry, approvals)
    for n in nodes:
        n.logbook.accept(record)
