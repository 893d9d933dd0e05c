"""Helpers for networked recovery tests: members' release policies, dumps sealed to a council's
bundle, in-process servers with a reply hook, the CLI run in-process or as a process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from click.testing import CliRunner, Result
from node_helpers import ROOT, Council, env

from council.attestation.policy import Policy, freeze, set_options, unfreeze, write_policy
from council.bundle import KeyBundle
from council.node.ceremony_service import MemberServicer
from council.node.log_service import register_log
from council.node.recovery_service import register_recovery
from council.node.release.service import ReplyHook
from council.node.runtime import open_member
from council.node.server import RunningServer
from council.protocol import tls
from council.protocol.gen import council_pb2_grpc
from dumps.seal import seal_stream
from dumps.sealer import SealingIdentity
from dumps.target import SealTarget

KEY = "appkey"
APP = "app"


NAMES = ["m1", "m2", "m3"]


@dataclass
class Net:
    council: Council
    bundle: KeyBundle
    store: Path
    payloads: list[bytes]

    def up(self, *names: str) -> None:
        for n in names or NAMES:
            if n not in self.council.servers:
                self.council.serve(n, "r1")

    def down(self, *names: str) -> None:
        for n in names:
            if n in self.council.servers:
                self.council.stop(n)


def write_release_policy(folder: Path, *, allow_simulated: bool = True, manual_approval: bool = False,
                         require_admitted_sealer: bool = True, admission: bool = True,
                         frozen: bool = False) -> None:
    """`release-policy.toml` (+ `admission.json` allowing simulated sealers unless frozen)."""
    lines = ["[release]", f"require_admitted_sealer = {str(require_admitted_sealer).lower()}",
             f"allow_simulated = {str(allow_simulated).lower()}", "waiting_period_seconds = 0",
             f"manual_approval = {str(manual_approval).lower()}"]
    if admission:
        lines.append('admission_policy = "admission.json"')
        policy = set_options(Policy(), simulated=True)
        write_policy(folder / "admission.json", freeze(policy, None, "test") if frozen else unfreeze(policy))
    (folder / "release-policy.toml").write_text("\n".join(lines) + "\n")


def seal_versions(store: Path, bundle: KeyBundle, payloads: list[bytes], sealer: SealingIdentity,
                  app: str = APP, chunk: int = 4096) -> list[Path]:
    """Seal payload k as version k+1, chained, into `store`."""
    store.mkdir(parents=True, exist_ok=True)
    previous, paths = b"", []
    for k, data in enumerate(payloads, start=1):
        path = store / f"{app}-{k}.kcd"
        with open(path, "wb") as sink:
            sealed = seal_stream(io.BytesIO(data), sink, target=SealTarget.from_bundle(bundle), sealer=sealer,
                                 app_id=app, dump_version=k, previous_digest=previous, chunk_size=chunk)
        previous = sealed.digest
        paths.append(path)
    return paths


def serve_with_hook(c: Council, name: str, roster_label: str, hook: ReplyHook) -> None:
    """An in-process member whose Recovery replies pass through `hook` (a bogus member)."""
    node = open_member(c.base / name, c.roster_files[roster_label], None, log_to_stderr=False)
    ident = node.folder.identity
    creds = tls.server_credentials(ident.tls_key_pem, ident.tls_cert_pem,
                                   lambda: [m.tls_cert.encode() for r in node.trusted_rosters() for m in
                                            (*r.members, *r.operators)])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    council_pb2_grpc.add_MemberServicer_to_server(MemberServicer(node), server)
    register_recovery(server, node, hook)
    register_log(server, node)
    port = server.add_secure_port(c.members[name].listen, creds)
    server.start()
    c.servers[name] = RunningServer(server, port, node)


def releases(folder: Path) -> list[dict[str, object]]:
    path = folder / "log" / "releases.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def invoke(command: object, args: list[str]) -> Result:
    """Run a click command in-process (errors stay in `result.exception`)."""
    return CliRunner().invoke(command, args, catch_exceptions=True)  # type: ignore[arg-type]


@dataclass
class Proc:
    code: int
    out: str
    err: str


def keycouncil(*args: str, timeout: float = 90) -> Proc:
    """`keycouncil ARGS` as a process (the member recovery commands attached as `member`)."""
    code = ("import sys; from cli.main import main, cli; from cli import member, member_recovery; "
            "[member.member.add_command(c) for c in member_recovery.COMMANDS if c.name not in member.member.commands]; "
            "main()")
    p = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env(), capture_output=True, text=True,
                       timeout=timeout)
    return Proc(p.returncode, p.stdout, p.stderr)
