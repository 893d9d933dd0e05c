"""One chaos run: a fresh council, four stages with the plan's faults, the invariants after each.

After each stage the campaign (1) restarts every member that is down and waits until all serve,
(2) checks the invariants as the members left them by themselves (`after-restart`: whole files,
no stray share, one entry per log sequence, every key the driver reported COMMITTED decrypts),
(3) plays the operator (`ceremony resume` of a ceremony whose driver died, a new ceremony if
nothing was signed, `ceremony catch-up --from` the old roster, a recovery retried), and
(4) checks them again (`after-clean-up`: every stored key decrypts, no share of an older epoch).
Member processes are started and killed only through `council.localnet` (LocalCouncil,
MemberProcesses).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from council.driver.phases import Timing
from council.localnet.council import DEMO_RELEASE_POLICY, TEST_GOVERNANCE, LocalCouncil
from council.localnet.processes import StartError, member_command
from council.node.ceremony_store import CeremonyDir
from council.protocol.ceremony_request import SignedRequest
from council.storage.folders import load_roster
from tools.chaos import invariants
from tools.chaos.faults import disarm, write_plan
from tools.chaos.plan import STAGES, Fault, RunPlan

NAMES = ("m1", "m2", "m3", "m4", "m5")
ROSTERS = {"r1": (2, ("m1", "m2", "m3")), "r2": (2, ("m1", "m4", "m5"))}
SERVES = {"m1": "r1", "m2": "r1", "m3": "r1", "m4": "r2", "m5": "r2"}
TIMING = ["--timeout", "10", "--retry-window", "6"]
STAGE_DEADLINE = 150.0
"""No stage may take longer (the driver's own deadlines are far shorter): beyond it, a stall."""
APP = "probe"


@dataclass
class RunResult:
    """What one run did and found."""

    seed: int
    faults: list[str]
    fault_kinds: list[str] = field(default_factory=list)
    kills: int = 0
    restarts: int = 0
    violations: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    """Not invariant violations, but what the operator had to do without a command for it."""
    actions: list[str] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class Run:
    """A council under `base` driven through the stages of `plan`."""

    def __init__(self, base: Path, plan: RunPlan, stages: Sequence[str] = STAGES) -> None:
        self.base, self.plan, self.stages = base, plan, tuple(stages)
        self.result = RunResult(plan.seed, plan.lines(), [f.kind for f in plan.faults])
        self.c = LocalCouncil(base)
        self.chaos = base / "chaos"
        self.chaos.mkdir(parents=True, exist_ok=True)
        self._delays = list(plan.restart_delays)
        self._drivers = 0
        self.key = "k"
        self.current = "r1"
        self.committed: set[str] = set()
        self.payload = secrets.token_bytes(3000)
        self.pending: dict[str, list[Fault]] = {}
        self.calibrate = False
        self.unwaited: set[str] = set()
        self._seen: set[str] = set()
        self.counts: dict[str, dict[str, int]] = {}

    # Setup ----------------------------------------------------------------------------------------
    def setup(self) -> None:
        for n in NAMES:
            self.c.init_member(n, None, release_policy=DEMO_RELEASE_POLICY, governance=TEST_GOVERNANCE)
        for label, (t, names) in ROSTERS.items():
            self.c.write_roster(label, t, names)
        self.c.init_operator()
        for n in NAMES:
            self.spawn(n)
        self.wait_serving()

    def wait_serving(self) -> None:
        """Wait for every member started since the last wait (MemberProcesses counts `serving`)."""
        names = sorted(self.unwaited)
        self.unwaited.clear()
        self.c.processes.wait_serving(names, 90)

    def spawn(self, name: str) -> None:
        folder = self.base / name
        argv = member_command(folder, self.c.roster_files[SERVES[name]])
        self.c.processes.spawn(name, folder, ["-m", "tools.chaos.member", str(self.plan_file(name)), *argv[2:]])
        self.unwaited.add(name)

    def plan_file(self, name: str) -> Path:
        return self.chaos / f"{name}.plan"

    def close(self) -> None:
        self.c.close()

    # Driving --------------------------------------------------------------------------------------
    def driver(self, stage: str, args: Sequence[str], armed: bool) -> tuple[int | None, str]:
        """Run `keycouncil ARGS` as a process (with the stage's driver faults if `armed`), while
        applying the stage's member faults and restarting killed members; (exit code, output)."""
        self._drivers += 1
        name = f"driver-{self._drivers}"
        faults = [f for f in self.plan.at(stage) if armed]
        self.pending = {}
        for f in faults:
            if f.kind != "timed":
                self.pending.setdefault(f.target, []).append(f)
        for target in list(self.pending):
            self._arm(target, stage)
        if self.calibrate and armed:
            for target in [*NAMES, name]:
                write_plan(self.plan_file(target), f"count-{stage}-{target}", 0, "before",
                           self.chaos / f"{target}.{stage}.count")
        timed = sorted((f for f in faults if f.kind == "timed"), key=lambda f: f.delay)
        self.c.processes.spawn(name, self.base / "operator",
                               ["-m", "tools.chaos.driver", str(self.plan_file(name)), *args])
        proc = self.c.processes.procs[name]
        start = time.monotonic()
        restart_at: dict[str, float] = {}
        while True:
            now = time.monotonic() - start
            while timed and timed[0].delay <= now:
                f = timed.pop(0)
                if f.target in self.c.running():
                    self.c.kill(f.target)
                    self.result.kills += 1
            self._reap(restart_at, stage, now)
            if proc.poll() is not None:
                break
            if now > STAGE_DEADLINE:
                self.c.processes.kill(name)
                self.result.violations.append(f"{stage}: the driver ({' '.join(args[:2])}) was still "
                                              f"running after {STAGE_DEADLINE:.0f}s: a stall")
                break
            time.sleep(0.05)
        code = proc.returncode
        if code == -9 and any(f.target == "driver" for f in faults):
            self.result.kills += 1
        self.c.processes.procs.pop(name, None)
        for target in list(self.pending) + list(NAMES):
            disarm(self.plan_file(target))
        self.pending = {}
        while restart_at:  # the restarts the plan scheduled, at their time
            self._reap(restart_at, stage, time.monotonic() - start)
            time.sleep(0.05)
        output = self.c.processes.log_path(name).read_text(errors="replace")
        if self.calibrate and armed:
            counts = {p.name.split(".")[0]: int(p.read_text() or 0) for p in self.chaos.glob(f"*.{stage}.count")}
            self.counts[stage] = {("driver" if k.startswith("driver") else k): v for k, v in counts.items()}
        return code, output

    def _arm(self, target: str, stage: str) -> None:
        queue = self.pending.get(target)
        if not queue:
            disarm(self.plan_file(target))
            return
        f = queue.pop(0)
        write_plan(self.plan_file(target if target != "driver" else f"driver-{self._drivers}"),
                   f"{self.plan.seed}-{stage}-{target}-{len(queue)}", f.at, f.when)

    def _reap(self, restart_at: dict[str, float], stage: str, now: float) -> None:
        """Members found dead get a restart time; members whose time came are started again."""
        for name in NAMES:
            proc = self.c.processes.procs.get(name)
            dead = proc is None or proc.poll() is not None
            if dead and name not in restart_at:
                if proc is not None and proc.returncode == -9 and name in self.pending:
                    self.result.kills += 1
                self._arm(name, stage)  # the next fault for this member, if any, counts afresh
                restart_at[name] = now + (self._delays.pop(0) if self._delays else 1.0)
        for name, when in list(restart_at.items()):
            if when <= now:
                del restart_at[name]
                self.spawn(name)
                self.result.restarts += 1

    def keycouncil(self, stage: str, *args: str, armed: bool = False) -> tuple[bool, str]:
        code, out = self.driver(stage, args, armed)
        return code == 0, out

    # Stages ---------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        t0 = time.monotonic()
        try:
            self.setup()
            for stage in self.stages:
                if not getattr(self, f"stage_{stage}")():
                    self.result.stages[stage] += " (run stopped here)"
                    break
        finally:
            self.result.seconds = round(time.monotonic() - t0, 1)
        return self.result

    def op_args(self) -> list[str]:
        return ["--operator", str(self.base / "operator")]

    def roster(self, label: str) -> str:
        return str(self.c.roster_files[label])

    def stage_dkg(self) -> bool:
        ok, out = self.keycouncil("dkg", "ceremony", "dkg", "--roster", self.roster("r1"), "--key-id", self.key,
                                  *self.op_args(), *TIMING, armed=True)
        committed = ok and "COMMITTED" in out
        if committed:
            self.committed.add(self.key)
        self.result.stages["dkg"] = "committed" if committed else "not committed"
        self.settle("dkg")
        if not committed or self.signed_ceremonies("dkg"):
            committed = self.heal_ceremony("dkg", "r1", None, committed)
        if committed:
            self.catch_up("dkg", "r1")  # members that missed the finalize take the epoch
        if committed and not self.log_started() and not (self.resume_for_log("dkg", "r1") and self.log_started()):
            self.result.findings.append("dkg: the driver died after the commit and before the genesis entry; "
                                        "`ceremony resume` did not append it (operator used "
                                        "council.driver.ceremony_log.start_log)")
            self.start_log()
        self.clean_check("dkg")
        return committed and self.seal_probe()

    def stage_reshare(self) -> bool:
        return self.reshare("reshare", self.current, "r2")

    def stage_reshare2(self) -> bool:
        return self.reshare("reshare2", self.current, self.current)

    def reshare(self, stage: str, old: str, new: str) -> bool:
        ok, out = self.keycouncil(stage, "ceremony", "reshare", "--key-id", self.key, "--from", self.roster(old),
                                  "--to", self.roster(new), *self.op_args(), *TIMING, armed=True)
        committed = ok and "COMMITTED" in out
        self.result.stages[stage] = "committed" if committed else "not committed"
        self.settle(stage)
        if not committed or self.signed_ceremonies(stage):
            committed = self.heal_ceremony(stage, old, new, committed)
        if committed:
            self.current = new
            self.require_logged_epoch(stage, old, new)  # catch-up needs the epoch in the log
            self.catch_up(stage, old)
        self.clean_check(stage)
        return True

    def stage_recover(self) -> bool:
        ok = self.recover(armed=True)
        self.result.stages["recover"] = "recovered" if ok else "failed"
        self.settle("recover")
        if not ok:
            self.result.actions.append("recover: retried")
            if not self.recover(armed=False):
                self.result.violations.append("recover: the probe dump does not recover through the "
                                              "council once every member is back")
        self.clean_check("recover")
        return True

    def recover(self, armed: bool) -> bool:
        out = self.base / f"recovered-{secrets.token_hex(4)}.bin"
        ok, _ = self.keycouncil("recover", "recover", "--roster", self.roster(self.current), *self.op_args(),
                                "--store", str(self.base / "store"), "--app", APP, "-o", str(out),
                                "--deadline", "20", armed=armed)
        return ok and out.exists() and out.read_bytes() == self.payload

    # After a stage: restart, check, clean up, check -------------------------------------------------
    def settle(self, stage: str) -> None:
        """Every member up again; then the invariants as the members left things by themselves."""
        for name in NAMES:
            if name not in self.c.running():
                self.spawn(name)
                self.result.restarts += 1
        try:
            self.wait_serving()
        except StartError as exc:
            self.result.violations.append(f"{stage}: a member does not start again: {exc}")
            raise
        self.check(stage, "after restart", strict=False)

    def clean_check(self, stage: str) -> None:
        self.check(stage, "after clean-up", strict=True)

    def check(self, stage: str, when: str, strict: bool) -> None:
        folders = dict(self.c.members)
        found: list[str] = []
        for name, folder in folders.items():
            found += invariants.whole(name, folder)
        found += invariants.erased(folders, invariants.newest_committed(folders.values()) if strict else None)
        found += invariants.log(folders)
        keys = invariants.key_ids(folders.values()) if strict else self.committed
        for key_id in sorted(keys):
            ok, detail = invariants.decrypts(list(folders.values()), key_id)
            if not ok:
                found.append(f"key {key_id!r} decrypts at no epoch ({detail})")
        for v in found:
            if v not in self._seen:  # reported once, at the first stage it was seen
                self._seen.add(v)
                self.result.violations.append(f"{stage} ({when}): {v}")

    def heal_ceremony(self, stage: str, old: str, new: str | None, committed: bool) -> bool:
        """The operator's playbook for a ceremony that did not report COMMITTED, or that left
        members unfinished: `ceremony resume` (as the driver's output says), else a new one."""
        ids = self.signed_ceremonies(stage)
        for cid in ids:
            self.result.actions.append(f"{stage}: ceremony resume {cid[:8]}…")
            ok, out = self.keycouncil(stage, "ceremony", "resume", "--roster", self.roster(old),
                                      "--ceremony-id", cid, *self.op_args(), *TIMING)
            if ok and "COMMITTED" in out:
                return self._healed(stage, new)
            self.result.findings.append(f"{stage}: `ceremony resume` after the driver died failed: "
                                        + _first_line(out))
        if committed:
            return True
        stored = any(self.key in invariants.store_of(f).key_ids() and self._stored_epoch(f, stage)
                     for f in self.c.members.values())
        if stored:
            return self._healed(stage, new) if self.epoch_committed(stage) else False
        if stage == "dkg":
            self.key = f"k{secrets.token_hex(2)}"  # a fresh key: members that signed sign no other
            args = ["ceremony", "dkg", "--roster", self.roster("r1"), "--key-id", self.key]
        else:
            args = ["ceremony", "reshare", "--key-id", self.key, "--from", self.roster(old), "--to",
                    self.roster(new or old)]
        self.result.actions.append(f"{stage}: ceremony started again")
        ok, out = self.keycouncil(stage, *args, *self.op_args(), *TIMING)
        if ok and "COMMITTED" in out:
            return self._healed(stage, new)
        self.result.findings.append(f"{stage}: the ceremony started again did not commit: {_first_line(out)}")
        return False

    def _healed(self, stage: str, new: str | None) -> bool:
        if stage == "dkg":
            self.committed.add(self.key)
        return True

    def _stored_epoch(self, folder: object, stage: str) -> bool:
        epochs = invariants.store_of(folder).epochs(self.key)  # type: ignore[arg-type]
        return (0 if stage == "dkg" else 1) in epochs or (stage == "reshare2" and 2 in epochs)

    def epoch_committed(self, stage: str) -> bool:
        newest = invariants.newest_committed(self.c.members.values()).get(self.key, -1)
        return newest >= {"dkg": 0, "reshare": 1, "reshare2": 2}[stage]

    def signed_ceremonies(self, stage: str, unfinished_only: bool = True) -> list[str]:
        """Ceremonies of the stage's kind and key that some member signed a commit for and that
        are not done on every member that took part: what `ceremony resume` is for (even when
        t' receivers stored the epoch already, the others and the old members wait for it)."""
        signed: set[str] = set()
        unfinished: set[str] = set()
        for folder in self.c.members.values():
            root = folder.path / "ceremonies"
            for path in sorted(root.iterdir()) if root.exists() else ():
                if not (path / "request.bin").exists():
                    continue
                d = CeremonyDir(root, bytes.fromhex(path.name))
                try:
                    r = SignedRequest.from_bytes(d.load("request")).request
                    state = d.state()["state"]
                except Exception:  # noqa: BLE001 - a damaged file is reported by `whole`
                    continue
                if r.key_id != self.key or (r.kind.value == "dkg") != (stage == "dkg"):
                    continue
                if (path / "signed.bin").exists():
                    signed.add(path.name)
                if state not in ("done", "failed", "superseded"):
                    unfinished.add(path.name)
        return sorted(signed & unfinished if unfinished_only else signed)

    def resume_for_log(self, stage: str, old: str) -> bool:
        """The operator's command for a committed epoch missing from the log (the driver died
        between the commit and its log entry): `ceremony resume` of that ceremony appends it."""
        for cid in self.signed_ceremonies(stage, unfinished_only=False):
            self.result.actions.append(f"{stage}: ceremony resume {cid[:8]}… (its log entry is missing)")
            ok, _ = self.keycouncil(stage, "ceremony", "resume", "--roster", self.roster(old),
                                    "--ceremony-id", cid, *self.op_args(), *TIMING)
            if ok:
                return True
        return False

    def catch_up(self, stage: str, old: str) -> None:
        leavers = ["--from", self.roster(old)] if old != self.current else []
        ok, out = self.keycouncil(stage, "ceremony", "catch-up", "--roster", self.roster(self.current),
                                  "--key-id", self.key, *leavers, *self.op_args(), *TIMING)
        self.result.actions.append(f"{stage}: ceremony catch-up {' '.join(leavers[:1])} {old if leavers else ''}".strip())
        if not ok:
            self.result.findings.append(f"{stage}: catch-up after the ceremony: {_first_line(out, 3)}")

    # The log and the probe dump --------------------------------------------------------------------
    def log_started(self) -> bool:
        return all(invariants.log_records(self.c.members[n]).get(self.key) for n in ROSTERS["r1"][1][:2])

    def logged_epochs(self) -> set[int]:
        out = set()
        for folder in self.c.members.values():
            for _, rec in invariants.log_records(folder).get(self.key, []):
                if rec is not None and rec.entry.kind.label in ("genesis", "epoch-committed"):
                    out.add(rec.entry.body.epoch)  # type: ignore[attr-defined]
        return out

    def require_logged_epoch(self, stage: str, old: str, new: str) -> None:
        """The key's newest committed epoch must be in its log (the next re-share needs it)."""
        from council.driver.ceremony_log import record_epoch

        newest = invariants.newest_committed(self.c.members.values()).get(self.key, -1)
        if newest in self.logged_epochs():
            return
        if self.resume_for_log(stage, old) and newest in self.logged_epochs():
            return
        logged = record_epoch(load_roster(self.c.roster_files[old]), load_roster(self.c.roster_files[new]),
                              self.key, self.c.init_operator(), Timing(10, 6), list(ROSTERS[new][1]))
        summary = logged.summary()
        self.result.findings.append(f"{stage}: epoch {newest} committed but not in the council log (the driver "
                                    "died before the epoch-committed entry and `ceremony resume` did not append it: operator "
                                    f"used council.driver.ceremony_log.record_epoch: {summary[:300]})")

    def start_log(self) -> None:
        from council.driver.ceremony_log import start_log
        from council.driver.query import fetch_bundle

        r1 = load_roster(self.c.roster_files["r1"])
        op = self.c.init_operator()
        b = fetch_bundle(r1, self.key, op, Timing(10, 6))
        start_log(r1, self.key, b.public_key.to_bytes(), b.commit.transcript_digest, op, Timing(10, 6))

    def seal_probe(self) -> bool:
        from council.driver.query import fetch_bundle
        from dumps.seal import seal_stream
        from dumps.sealer import SealingIdentity
        from dumps.target import SealTarget

        store = self.base / "store"
        store.mkdir(exist_ok=True)
        r1 = load_roster(self.c.roster_files["r1"])
        bundle = fetch_bundle(r1, self.key, self.c.init_operator(), Timing(10, 6))
        sealer = SealingIdentity.simulated()
        self.c.admit_sealer(r1, self.key, sealer)  # members release only for a sealer admitted in the log
        with open(store / f"{APP}-1.kcd", "wb") as sink:
            seal_stream(io.BytesIO(self.payload), sink, target=SealTarget.from_bundle(bundle),
                        sealer=sealer, app_id=APP, dump_version=1, chunk_size=1024)
        return True


def _first_line(text: str, lines: int = 1) -> str:
    rows = [r for r in text.strip().splitlines() if r.strip() and not r.startswith("{")]
    return re.sub(r"\s+", " ", " | ".join(rows[:lines]))[:300] or "(no output)"


def run_one(base: Path, plan: RunPlan, keep: bool = False, stages: Sequence[str] = STAGES) -> RunResult:
    """One run in `base` (removed afterwards unless `keep` or it found a violation); `stages`
    a prefix of STAGES for a shorter run (the CI slice)."""
    base.mkdir(parents=True, exist_ok=True)
    run = Run(base, plan, stages)
    try:
        result = run.run()
    except StartError:
        result = run.result
    finally:
        run.close()
    if not keep and not result.violations:
        shutil.rmtree(base, ignore_errors=True)
    return result


os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
