"""The networked demo behind `keycouncil demo`: the whole lifecycle with real member processes.

In a temporary folder: (1) start one `council.node` process per member on loopback; (2) run the
DKG through the ceremony driver and fetch the key bundle; (3) a simulated enclave seals three
chained versions of its state into a folder store; (4) re-share to a new committee, old members
erase; (5) SIGKILL every process, restart only `t'` new members; (6) recover the newest state
through the members over gRPC; (7) compare it with the original byte for byte.

The log is anchored on a local Hardhat node (`council.chain.hardhat.HardhatNode`, started and
stopped by the demo on 127.0.0.1): the DKG makes the council's BN254 signing key too, which is
registered on a freshly deployed CouncilAnchor; the log is anchored after the announced dumps and
after the re-share; the demo ends with the contract's record of the key. Without Hardhat (`make
hardhat`) it says so and skips the anchoring.

Every step is narrated in one or two lines; a failure stops the demo with one line naming the step
and the reason. Every member process is killed on every way out (see `LocalCouncil.close` and
`council.localnet.member_process`).
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from cli.demo.operators import DemoOperators
from cli.demo.state import StateStream, same_as_version
from council.bundle import KeyBundle
from council.chain.hardhat import HARDHAT_DIR, HardhatNode, hardhat_installed
from council.crypto.messages import Kind
from council.driver.announce import announce_dump
from council.driver.ceremony import CeremonyReport, drive_signed, run_dkg, run_reshare
from council.driver.ceremony_log import RosterNotAccepted, require_accepted_roster
from council.driver.log_anchor import AnchorReport, anchor_log, register_key
from council.driver.log_client import LogClient, operator_entry
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.driver.query import fetch_bundle, latest_epoch
from council.errors import KeycouncilError
from council.localnet.council import RELEASE_POLICY_NAME, DemoFailed, LocalCouncil
from council.log import Entry, RosterProposed, SharesReleased
from council.protocol.ceremony_request import SignedRequest, StartRequest
from council.roster import Roster
from council.storage.files import write_atomic
from dumps.publish import publish_file
from dumps.seal import SealedDump, seal_dump
from dumps.sealer import SealingIdentity
from dumps.store import DumpStore
from dumps.stores import open_store
from dumps.target import SealTarget

STEPS = 7
KEY_ID = "demo-state-key"
APP_ID = "demo-app"
BUCKET = "demo-dumps"
VERSIONS = 3
MIB = 1024 * 1024
TIMING = Timing(call_timeout=30.0, retry_window=3.0)
RECOVERY_DEADLINE = 30.0
INDENT = "      "

Bar = Callable[[str, int], AbstractContextManager[Callable[[int], None] | None]]
"""A progress bar factory: (label, total bytes) -> a context giving an update(n) callable or None."""


def no_bar(label: str, total: int) -> AbstractContextManager[Callable[[int], None] | None]:
    return nullcontext(None)


@dataclass(frozen=True)
class DemoOptions:
    """What to run: the first committee, the one it is re-shared to, the state size."""

    members: int = 5
    threshold: int = 3
    new_members: int = 7
    new_threshold: int = 5
    state_mib: int = 64
    keep: bool = False

    def check(self) -> None:
        for n, t, what in ((self.members, self.threshold, "--members/--threshold"),
                           (self.new_members, self.new_threshold, "--reshare-to")):
            if not 1 <= t <= n:
                raise ValueError(f"{what}: need 1 <= t <= n, got n = {n}, t = {t}")
            if n > 50:
                raise ValueError(f"{what}: at most 50 members on one machine, got {n}")
        if self.state_mib < 1:
            raise ValueError("--state-mib: at least 1")

    @property
    def leaving(self) -> int:
        """Old members that leave at the re-share: two (at most n − 1), more if the new committee
        is smaller than the old members that stay."""
        return max(min(2, self.members - 1), self.members - self.new_members)

    @property
    def joining(self) -> int:
        return self.new_members - (self.members - self.leaving)


@dataclass
class Console:
    """Where the narration goes (stdout) and how long steps show progress (stderr, terminals)."""

    echo: Callable[[str], None]
    bar: Bar = no_bar
    started: float = field(default_factory=time.monotonic)
    current: str = "setting up"

    def step(self, n: int, text: str) -> None:
        self.echo(f"[{n}/{STEPS}] {text}")

    def detail(self, text: str) -> None:
        self.echo(INDENT + text)


@dataclass
class _Run:
    """State carried from step to step."""

    opts: DemoOptions
    out: Console
    base: Path
    council: LocalCouncil
    operator: OperatorFolder | None = None
    old_names: list[str] = field(default_factory=list)
    new_names: list[str] = field(default_factory=list)
    rosters: dict[str, tuple[Roster, Path]] = field(default_factory=dict)
    bundle: KeyBundle | None = None
    sealed: list[tuple[str, SealedDump, str]] = field(default_factory=list)
    sealer_key: bytes = b""
    recovered: Path | None = None
    operators: DemoOperators | None = None
    store: DumpStore | None = None
    store_url: str = ""
    chain: Any = None
    """The CouncilAnchor client (council.chain.client.ChainClient), None without Hardhat."""


def run_networked_demo(opts: DemoOptions, out: Console) -> bool:
    """Run the whole lifecycle; True if the recovered state is the newest one, byte for byte.

    Every member process is killed before this returns or raises (KeyboardInterrupt included)."""
    opts.check()
    base = Path(tempfile.mkdtemp(prefix="keycouncil-demo-"))
    council = LocalCouncil(base)
    run = _Run(opts, out, base, council)
    run.operators = DemoOperators(lambda: {n: base / n for n in council.members}, lambda e: _ours(run, e))
    ok = False
    try:
        _intro(run)
        with _s3_store(run), _local_chain(run):
            for n, step in enumerate((_start_council, _dkg, _seal, _reshare, _shutdown, _recover, _verify), 1):
                out.current = f"step {n}/{STEPS}"
                step(run)
            out.current = "the log"
            _show_log(run)
            out.current = "the contract's record"
            _show_chain(run)
        ok = True
    except (KeycouncilError, OSError, ValueError) as exc:
        out.echo(f"FAILED at {out.current}: {exc}")
    except (KeyboardInterrupt, SystemExit):
        out.echo(f"interrupted at {out.current}: stopping every member process")
        raise
    finally:
        council.close()
        if opts.keep:
            out.echo(f"kept the demo folder: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    if ok:
        out.echo(f"OK: state recovered byte for byte after a full shutdown "
                 f"(total {time.monotonic() - out.started:.1f} s)")
    elif not opts.keep:
        out.echo("(run again with --keep to keep the folder and the member logs)")
    return ok


def _intro(run: _Run) -> None:
    o, out = run.opts, run.out
    out.echo(f"keycouncil demo: a council of {o.members} share nodes keeps an app's state "
             "recoverable, with no KMS")
    out.detail(f"they hold shares of a key that nobody holds whole; any {o.threshold} of them can "
               "decrypt, fewer learn nothing")
    out.detail(f"working folder {run.base} "
               + ("(kept: --keep)" if o.keep else "(deleted at the end; --keep keeps it)"))
    out.detail("INSECURE, demo only: member and operator keys are stored without a passphrase")


@contextmanager
def _s3_store(run: _Run) -> Iterator[None]:
    """The app's object store: a bucket on a local S3 server process (moto_server, the one S3
    server that installs here; the same code targets AWS S3, R2, GCS, MinIO, Ceph)."""
    from council.localnet.s3server import running_moto

    with running_moto(run.base / "s3") as server:
        saved = {k: os.environ.get(k) for k in server.env}
        os.environ.update(server.env)  # dummy credentials of the local server only (a file path)
        try:
            server.client().create_bucket(Bucket=BUCKET)
            run.store_url = f"s3://{BUCKET}/{APP_ID}"
            run.store = open_store(run.store_url, s3_endpoint=server.endpoint)
            run.out.detail(f"object store: {run.store_url} on a local S3 server process ({server.endpoint})")
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@contextmanager
def _local_chain(run: _Run) -> Iterator[None]:
    """A local Hardhat node process and a freshly deployed CouncilAnchor (its registrar: a new
    account of the demo, funded by the node), or a clear note that the anchoring is skipped."""
    from council.chain.client import ChainClient

    if not hardhat_installed():
        run.out.detail(f"local chain: Hardhat is not installed in {HARDHAT_DIR} (run `make hardhat`): "
                       "anchoring the log on chain is SKIPPED in this run")
        yield
        return
    with HardhatNode(run.base / "hardhat.log") as node:
        signer = node.funded_account(run.base / "submitter.key")  # 0600 file, never printed
        run.chain = ChainClient.deploy(node.web3(), signer, registrar=signer.address)
        run.out.detail(f"local chain: a Hardhat node process ({node.url}, chain id {run.chain.chain_id}); "
                       f"CouncilAnchor deployed at {run.chain.address}")
        try:
            yield
        finally:
            run.chain = None


def _fingerprint(pubkey: bytes) -> str:
    return hashlib.sha256(pubkey).hexdigest()[:16]


def _anchor(run: _Run, roster: Roster) -> AnchorReport | None:
    """Anchor the key's log up to its head (signed by `roster`'s epoch); one line says what."""
    if run.chain is None:
        run.out.detail("anchoring SKIPPED (no Hardhat)")
        return None
    assert run.operator is not None
    start = time.monotonic()
    report = anchor_log(roster, KEY_ID, run.operator, TIMING, run.chain)
    if not report.steps:
        run.out.detail("the chain already holds the log's head")
        return report
    signers = sorted({i for s in report.steps for i in s.signers})
    gas = sum(s.gas_used or 0 for s in report.steps)
    run.out.detail(f"log anchored on chain: entries {report.chain_seq_before}..{report.log_length - 1} in "
                   f"{len(report.steps)} anchor{'s' if len(report.steps) > 1 else ''} ({gas} gas), signed by "
                   f"{len(signers)} members' signing shares combined; confirmed in {_s(start)}")
    return report


def _names(first: int, count: int) -> list[str]:
    return [f"member-{i}" for i in range(first, first + count)]


def _start_council(run: _Run) -> None:
    o, out, c = run.opts, run.out, run.council
    out.step(1, f"Start the council: {o.members} member processes on 127.0.0.1, each with its own "
                "data folder")
    start = time.monotonic()
    run.old_names = _names(1, o.members)
    for name in run.old_names:
        c.init_member(name)
    run.operator = c.init_operator("demo-operator")
    run.rosters["old"] = c.write_roster("epoch0", o.threshold, run.old_names, run.operator)
    c.start(run.old_names, run.rosters["old"][1])
    out.detail(f"{_span(run.old_names)} serving gRPC with mutual TLS after {_s(start)}; "
               f"roster: threshold {o.threshold}, one operator")


def _dkg(run: _Run) -> None:
    o, out = run.opts, run.out
    assert run.operator is not None
    roster, _ = run.rosters["old"]
    out.step(2, f"Key generation (DKG): the {o.members} members create key {KEY_ID!r}; each keeps "
                "one share of it")
    start = time.monotonic()
    report = run_dkg(roster, KEY_ID, run.operator, TIMING, signing_key=True)
    if not report.committed or report.missing or report.disqualified:
        raise _ceremony_failed("DKG", report)
    out.detail(f"epoch 0 committed in {_s(start)}; public key Y = {report.public_key[:24]}…")
    bundle = fetch_bundle(roster, KEY_ID, run.operator, TIMING)
    if bundle.public_key.to_bytes().hex() != report.public_key:
        raise DemoFailed("the fetched key bundle does not carry the key the DKG committed")
    if bundle.signing_public_key is None:
        raise DemoFailed("the DKG made no BN254 signing key")
    write_atomic(run.base / "bundle-epoch0.json", bundle.dumps().encode())
    run.bundle = bundle
    out.detail(f"key bundle fetched and verified (Y signed by {len(bundle.signatures)} members, "
               f"{bundle.threshold} needed): this is what apps seal to")
    out.detail("with it the council's BN254 signing key for the chain anchor, shared the same way "
               f"(G2 key fingerprint {_fingerprint(bundle.signing_public_key)})")
    if run.chain is not None:
        reg = register_key(roster, KEY_ID, run.operator, TIMING, run.chain)
        if reg.public_key != bundle.signing_public_key:
            raise DemoFailed("the registered signing key is not the DKG's")
        out.detail(f"signing key registered on CouncilAnchor at the empty log, with a proof of possession "
                   f"signed by {o.threshold} members ({reg.gas_used} gas)")


def _ceremony_failed(what: str, report: CeremonyReport) -> DemoFailed:
    return DemoFailed(f"{what}: " + " / ".join(line.strip() for line in report.lines()))


def _seal(run: _Run) -> None:
    o, out = run.opts, run.out
    assert run.bundle is not None
    size = o.state_mib * MIB
    out.step(3, f"An app seals {VERSIONS} versions of its {o.state_mib} MiB state to Y and publishes them "
                "to an S3 bucket (no contact with the council)")
    out.detail("INSECURE: the app's enclave is simulated; no TEE attests its signing key (demo only)")
    target = SealTarget.from_bundle(run.bundle, run.rosters["old"][0].digest())
    sealer = SealingIdentity.simulated()
    run.sealer_key = sealer.public_key
    run.council.admit_sealer(run.rosters["old"][0], KEY_ID, sealer)
    out.detail("the council admits the app's sealer in the key's log (its policy allows simulated sealers: demo "
               "only); each member's operator approves both entries")
    store = run.base / "sealed"
    store.mkdir()
    assert run.store is not None and run.operator is not None
    previous = b""
    for version in range(1, VERSIONS + 1):
        name = f"{APP_ID}-v{version}.kcdump"
        state = StateStream(version, size)
        start = time.monotonic()
        with out.bar(f"sealing version {version}", size) as progress:
            sealed = seal_dump(cast(BinaryIO, state), store / name, target=target, sealer=sealer,
                               app_id=APP_ID, dump_version=version, previous_digest=previous,
                               progress=progress)
        publish_file(run.store, store / name)
        announced = announce_dump(run.rosters["old"][0], KEY_ID, sealer, run.operator, TIMING, APP_ID, version,
                                  sealed.digest, previous)
        chained = f", chained to version {version - 1}" if previous else ""
        out.detail(f"version {version} → {run.store_url}/{name} (state SHA-256 "
                   f"{state.sha256.hexdigest()[:16]}…{chained}; announced in the log, entry "
                   f"{announced.entry.seq}; {_s(start)})")
        run.sealed.append((name, sealed, state.sha256.hexdigest()))
        previous = sealed.digest
    _anchor(run, run.rosters["old"][0])


def _reshare(run: _Run) -> None:
    o, out, c = run.opts, run.out, run.council
    assert run.operator is not None and run.bundle is not None
    leaving = run.old_names[:o.leaving]
    joining = _names(o.members + 1, o.joining)
    run.new_names = run.old_names[o.leaving:] + joining
    out.step(4, f"Re-share: {_who(leaving, 'leave')}, {_who(joining, 'join')}; new committee "
                f"n = {o.new_members}, t = {o.new_threshold}")
    if joining:
        start = time.monotonic()
        for name in joining:
            c.init_member(name)
        run.rosters["new"] = c.write_roster("epoch1", o.new_threshold, run.new_names, run.operator)
        c.start(joining, run.rosters["new"][1])
        out.detail(f"{_span(joining)} serving after {_s(start)}")
    else:
        run.rosters["new"] = c.write_roster("epoch1", o.new_threshold, run.new_names, run.operator)
    start = time.monotonic()
    _accept_roster(run)
    report = run_reshare(run.rosters["old"][0], run.rosters["new"][0], KEY_ID, run.operator, TIMING)
    if not report.committed or report.missing or report.disqualified:
        raise _ceremony_failed("re-share", report)
    if report.public_key != run.bundle.public_key.to_bytes().hex():
        raise DemoFailed("re-share: the public key changed")
    kept = [n for n in run.old_names if (c.base / n / "keys" / KEY_ID / "0" / "share.sealed").exists()]
    if kept:
        raise DemoFailed(f"re-share: {_list(kept)} still hold an epoch-0 share")
    new_bundle = fetch_bundle(run.rosters["new"][0], KEY_ID, run.operator, TIMING)
    write_atomic(run.base / "bundle-epoch1.json", new_bundle.dumps().encode())
    out.detail(f"epoch 1 committed in {_s(start)}; Y unchanged, so the dumps sealed to it stay "
               "recoverable")
    out.detail(f"the {o.members} old members erased their epoch-0 shares: old shares are now "
               "worthless")
    _anchor(run, run.rosters["new"][0])
    _rogue(run)


def _ours(run: _Run, entry: Entry) -> bool:
    """The demo's operators approve what the demo itself proposed, checked as a real operator would:
    the roster change only to the demo's new roster (never the rogue's 1-of-1 roster, proposed with
    the same operator credential), and recovery requests of the demo's operator."""
    if run.operator is None or entry.author.public_key != run.operator.identity.signer.public_key:
        return False
    if isinstance(entry.body, RosterProposed):
        return "new" in run.rosters and entry.body.roster.digest() == run.rosters["new"][0].digest()
    return entry.kind.label == "recovery-requested"


def _accept_roster(run: _Run) -> None:
    """Propose the new roster in the key's log; each member's operator approves it."""
    assert run.operator is not None and run.operators is not None
    old, new = run.rosters["old"][0], run.rosters["new"][0]
    give_up = time.monotonic() + 30
    with run.operators.watching():
        while True:
            try:
                require_accepted_roster(old, new, KEY_ID, run.operator, TIMING)
                break
            except RosterNotAccepted:
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.2)
    run.out.detail("the operator proposed the new roster in the key's council log (widening: every member "
                   "waits for its own operator)")
    for line in run.operators.lines():
        run.out.detail(line)


def _rogue(run: _Run) -> None:
    """The wave-1 takeover, tried again: one operator credential, a 1-of-1 roster it runs."""
    o, out, c = run.opts, run.out, run.council
    assert run.operator is not None
    c.init_member("rogue")
    roster, path = c.write_roster("rogue", 1, ["rogue"], run.operator)
    c.start(["rogue"], path)
    out.detail("a rogue operator re-shares the key to a 1-of-1 roster of a member it runs:")
    with LogClient(run.rosters["new"][0].members, run.operator, TIMING) as log:
        state, _ = log.read(KEY_ID)
        proposal = log.append(state, operator_entry(run.operator, state, RosterProposed(roster)))
    waiting = sum(1 for a in proposal.answers.values() if a.startswith("pending"))
    out.detail(f"  proposed in the log: {len(proposal.approved_by)} approvals, {waiting} members wait for "
               "operators who never approve it")
    previous = latest_epoch(run.rosters["new"][0], KEY_ID, run.operator, TIMING)
    request = StartRequest(Kind.RESHARE, secrets.token_bytes(16), KEY_ID, roster, run.rosters["new"][0],
                           previous.data)
    report = drive_signed(SignedRequest.create(request, run.operator.identity.signer), run.operator, TIMING)
    refused = [n for n, why in report.missing.items() if "not accepted in the key's council log" in why]
    if report.committed or len(refused) < o.new_members:
        raise DemoFailed(f"the rogue re-share was not refused by every member: {report.lines()}")
    out.detail(f"  dealt directly, bypassing the log: refused by all {len(refused)} members (the roster is "
               "not accepted in the key's council log); nothing dealt, nothing erased")
    c.kill("rogue")
    del c.members["rogue"]


def _show_log(run: _Run) -> None:
    """`keycouncil log show`: the key's council log, as any member serves it."""
    assert run.operator is not None
    roster = run.rosters["new"][0]
    with LogClient(roster.members, run.operator, TIMING) as log:
        state, records = log.read(KEY_ID)
    run.out.echo(f"the council log of key {KEY_ID!r} ({len(records)} entries, head {state.head.hex()[:16]}…):")
    names: dict[bytes, str] = {}
    for r in (run.rosters["old"][0], roster):
        names.update({m.signing_key: m.name for m in r.members})
        names.update({op.signing_key: op.name for op in r.operators})
    names[run.sealer_key] = APP_ID  # the app's (simulated) enclave signs its announcements
    for rec in records:
        e = rec.entry
        who = names.get(e.author.public_key, e.author.public_key.hex()[:12])
        stated = ""
        if isinstance(e.body, SharesReleased):  # whose releases it records, each signed by its member
            stated = ": releases of " + ", ".join(sorted(names.get(s.member_key, s.member_key.hex()[:12])
                                                         for s in e.body.statements))
        run.out.detail(f"{e.seq:>3}  {e.kind.label:<20} by {e.author.role.label} {who:<14} "
                       f"approved by {len(rec.approvals)}{stated}")


def _show_chain(run: _Run) -> None:
    """The contract's record of the key: what anyone reads from the chain, members or not."""
    from council.chain.heads import chain_key_id

    out = run.out
    if run.chain is None:
        out.echo("the contract's record of the key: SKIPPED (Hardhat not installed; `make hardhat`)")
        return
    assert run.bundle is not None and run.operator is not None
    record = run.chain.record(chain_key_id(KEY_ID))
    roster = run.rosters["new"][0]
    with LogClient(roster.members, run.operator, TIMING) as log:
        state, records = log.read(KEY_ID)
    if record.pubkey != run.bundle.signing_public_key:
        raise DemoFailed("the contract holds another signing key than the DKG's")
    if not 0 < record.seq <= len(records) or records[record.seq - 1].entry.digest != record.head:
        raise DemoFailed("the contract's head is not an entry of the members' log")
    if (record.epoch, record.roster_digest) != (1, roster.digest()):
        raise DemoFailed("the contract's roster digest and epoch are not the re-share's")
    out.echo(f"the contract's record of key {KEY_ID!r} (CouncilAnchor {run.chain.address}, chain id "
             f"{run.chain.chain_id}):")
    out.detail(f"registered G2 key fingerprint {_fingerprint(record.pubkey)} (the DKG's signing key, "
               "unchanged by the re-share)")
    out.detail(f"anchored head: seq {record.seq} (entries 0..{record.seq - 1}), digest {record.head.hex()}")
    out.detail(f"roster digest {record.roster_digest.hex()}, epoch {record.epoch} (the committee after the re-share)")
    if record.seq < len(records):
        out.detail(f"entries {record.seq}..{len(records) - 1} (the recovery's) are not anchored yet: "
                   "`keycouncil log anchor` anchors them")


def _shutdown(run: _Run) -> None:
    o, out, c = run.opts, run.out, run.council
    out.step(5, "Full shutdown: SIGKILL every member process; the app's enclave is gone too")
    killed = c.kill_all()
    out.detail(f"killed {len(killed)} processes; then restart only {o.new_threshold} of the "
               f"{o.new_members} new members")
    restarted = sorted(random.SystemRandom().sample(run.new_names, o.new_threshold),
                       key=run.new_names.index)
    start = time.monotonic()
    c.start(restarted, run.rosters["new"][1])
    out.detail(f"restarted {', '.join(restarted)} from their data folders ({_s(start)})")


def _recover(run: _Run) -> None:
    from recovery.choose import choose_dump
    from recovery.coordinator import recover_to_file
    from recovery.gather import MemberEvent
    from recovery.grpc_client import GrpcRecoveryBackend

    out = run.out
    assert run.operator is not None
    roster, roster_path = run.rosters["new"]
    out.step(6, "Recover the newest state: ask every member of epoch 1 for a decryption share")
    out.detail(f"each member's {RELEASE_POLICY_NAME} allows shares for simulated (INSECURE) "
               "enclaves: demo only")
    start = time.monotonic()
    assert run.store is not None
    chosen = choose_dump(run.store, APP_ID)                                            # (1)
    skipped = "; ".join(f"{s.name}: {s.reason}" for s in chosen.skipped)
    out.detail(f"newest authentic dump: {chosen.name}, version {chosen.version} (signatures and "
               f"chain checked without any key{'; skipped ' + skipped if skipped else ''})")
    conn = GrpcRecoveryBackend(wait_seconds=RECOVERY_DEADLINE - 1.0).connect(
        roster_path, run.operator.path, chosen.key_id)
    events: list[MemberEvent] = []
    folder = run.base / "recovered"
    folder.mkdir()
    run.recovered = folder / "state.bin"
    size = chosen.candidate.dump.trailer.plaintext_length
    assert run.operators is not None
    try:
        with out.bar("recovering", size) as progress, _growth(folder, progress), run.operators.watching():
            report = recover_to_file(chosen, conn.council, conn.operator, conn.client, run.recovered,
                                     now_unix_ms=int(time.time() * 1000),
                                     deadline_seconds=RECOVERY_DEADLINE, progress=events.append,
                                     ledger=conn.ledger)
    finally:
        close = getattr(conn.client, "close", None)
        if close is not None:
            close()
    name = {i: roster.member(i).name for i in range(1, len(roster.members) + 1)}
    by_status: dict[str, list[str]] = {}
    for e in sorted(events, key=lambda e: e.index):
        detail = "" if e.status in ("answered", "unavailable") else f" ({e.detail})"
        by_status.setdefault(e.status, []).append(name.get(e.index, str(e.index)) + detail)
    down = by_status.pop("unavailable", [])
    out.detail(f"shares from {', '.join(by_status.pop('answered', [])) or 'nobody'}"
               + (f"; no answer from {', '.join(down)} (down)" if down else "")
               + "".join(f"; {status}: {', '.join(who)}" for status, who in by_status.items()))
    out.detail(f"{len(report.used)} shares verified (each with its proof) and combined; "
               f"{size / MIB:g} MiB decrypted in {_s(start)}")
    for line in run.operators.lines():
        out.detail(line)
    out.detail("the recovery request is an entry of the key's council log (1 h expiry, released once per "
               f"member); one shares-released entry records the {len(report.used)} members who released, "
               "each by its own signed statement")


@contextmanager
def _growth(folder: Path, update: Callable[[int], None] | None) -> Iterator[None]:
    """Report the bytes written into `folder` to `update` while the block runs (the coordinator
    decrypts into a temporary file there and has no progress callback of its own)."""
    if update is None:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        seen = 0
        while not stop.wait(0.1):
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
            if size > seen:
                update(size - seen)
                seen = size
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _verify(run: _Run) -> None:
    o, out = run.opts, run.out
    assert run.recovered is not None
    size = o.state_mib * MIB
    out.step(7, f"Check the recovered state against version {VERSIONS} as the app had it")
    with out.bar("comparing", size) as progress:
        identical, got, original = same_as_version(run.recovered, VERSIONS, size, progress)
    out.detail(f"original  SHA-256 {original}")
    out.detail(f"recovered SHA-256 {got}")
    if not identical or got != original or original != run.sealed[-1][2]:
        raise DemoFailed("MISMATCH: the recovered state differs from the original")
    out.detail("identical, byte for byte")


def _s(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"


def _list(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _who(names: Sequence[str], verb: str) -> str:
    """"nobody joins", "member-6 joins", "member-6 to member-9 join"."""
    return f"{_span(names) or 'nobody'} {verb}{'s' if len(names) <= 1 else ''}"


def _span(names: Sequence[str]) -> str:
    """member-6 to member-9 for a run of more than two members, else the list."""
    if len(names) > 2:
        return f"{names[0]} to {names[-1]}"
    return _list(names)
