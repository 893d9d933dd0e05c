"""A run's faults, drawn from its seed alone: which process dies at which step of which stage.

A run goes through four stages on a fresh council of five members: `dkg` (r1 = m1..m3, t = 2;
the genesis entry is logged), `reshare` (r1 -> r2 = m1, m4, m5: two newcomers, two leavers; the
roster-proposed and epoch-committed entries are logged and approved), `recover` (a probe dump
sealed to the key is recovered through the council: recovery-requested and shares-released
entries), `reshare2` (r2 -> r2). Each stage gets zero to three faults:

- `step`: a member SIGKILLs itself before or after its k-th file-system step of the stage
  (open for writing, fsync, rename, unlink: every persist, store and erase is made of these);
- `call`: the driver SIGKILLs itself before its k-th gRPC call leaves, or after its answer came
  back and before the driver used it;
- `timed`: the campaign SIGKILLs a member d seconds into the stage.

A killed member is restarted after a delay drawn from the run's seed: mostly within the driver's
retry window (0.1-2.5 s), one time in five beyond it (7-12 s: the driver counts it missing). `k` is drawn below the step
counts measured by `python -m tools.chaos --calibrate` (STEPS, CALLS), so most faults land.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

STAGES = ("dkg", "reshare", "recover", "reshare2")
PARTICIPANTS = {"dkg": ("m1", "m2", "m3"), "reshare": ("m1", "m2", "m3", "m4", "m5"),
                "recover": ("m1", "m4", "m5"), "reshare2": ("m1", "m4", "m5")}
STEPS = {"dkg": 56, "reshare": 72, "recover": 27, "reshare2": 64}
"""Per stage, about the most file-system steps one member takes (calibrated, see module doc)."""
CALLS = {"dkg": 21, "reshare": 57, "recover": 32, "reshare2": 28}
"""Per stage, about how many gRPC calls the driver makes (calibrated)."""


@dataclass(frozen=True)
class Fault:
    """One kill: `kind` step | call | timed, the process, where."""

    stage: str
    kind: str
    target: str
    at: int = 0
    when: str = "before"
    delay: float = 0.0

    def __str__(self) -> str:
        if self.kind == "timed":
            return f"{self.stage}: kill {self.target} after {self.delay:.2f}s"
        what = "file-system step" if self.kind == "step" else "gRPC call"
        return f"{self.stage}: {self.target} killed {self.when} its {what} #{self.at}"


@dataclass(frozen=True)
class RunPlan:
    """Everything random about one run, from `seed`."""

    seed: int
    faults: tuple[Fault, ...]
    restart_delays: tuple[float, ...] = field(repr=False)

    def at(self, stage: str) -> list[Fault]:
        return [f for f in self.faults if f.stage == stage]

    def lines(self) -> list[str]:
        return [str(f) for f in self.faults] or ["(no faults)"]


def make_plan(seed: int) -> RunPlan:
    """The faults of run `seed` (the same seed gives the same plan, on any machine)."""
    rng = random.Random(seed)
    faults: list[Fault] = []
    for stage in STAGES:
        for _ in range(rng.choices((0, 1, 2, 3), (1, 4, 3, 1))[0]):
            faults.append(_fault(rng, stage))
    delays = tuple(round(rng.uniform(0.1, 2.5) if rng.random() < 0.8 else rng.uniform(7.0, 12.0), 2)
                   for _ in range(32))
    return RunPlan(seed, tuple(faults), delays)


def _fault(rng: random.Random, stage: str) -> Fault:
    kind = rng.choices(("step", "call", "timed"), (6, 3, 1))[0]
    when = rng.choice(("before", "after"))
    if kind == "call":
        return Fault(stage, kind, "driver", rng.randint(1, CALLS[stage]), when)
    target = rng.choice(PARTICIPANTS[stage])
    if kind == "timed":
        return Fault(stage, kind, target, delay=round(rng.uniform(0.0, 4.0), 2))
    return Fault(stage, kind, target, rng.randint(1, STEPS[stage]), when)
