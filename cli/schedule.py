"""`keycouncil ceremony reshare --every DURATION`: the scheduler's loop in the foreground, one
line (or one JSON document per line with --json) per thing it does; SIGTERM/SIGINT stop it."""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType

import click

from cli.council_status import when
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.driver.schedule import ReshareScheduler, Schedule, Tick, parse_duration
from council.driver.schedule_approval import log_approver
from council.roster import Roster


def run_schedule(roster: Roster, key_id: str, operator: OperatorFolder, timing: Timing, every: str,
                 jitter: float, catch_up_every: str | None, max_epochs: int | None, as_json: bool) -> None:
    """Run until SIGTERM/SIGINT (or --max-epochs epoch changes and every member caught up)."""
    schedule = Schedule(parse_duration(every), jitter,
                        parse_duration(catch_up_every, "--catch-up-every") if catch_up_every else None,
                        max_epochs=max_epochs)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the current step", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler = ReshareScheduler(roster, key_id, operator, timing, schedule,
                                 lambda tick: _show(tick, key_id, as_json),
                                 approve=log_approver(roster, operator, timing))
    scheduler.run(stop)


def _show(tick: Tick, key_id: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"format": 1, "epoch_change": tick.to_json()}, sort_keys=True), nl=True)
        return
    nxt = f"; next epoch change {when(tick.next_unix_ms)}" if tick.next_unix_ms else ""
    at = when(tick.at_unix_ms)
    if tick.kind == "epoch-change" and tick.report is not None:
        r = tick.report
        missing = f"; missing: {', '.join(sorted(r.missing))}" if r.missing else ""
        click.echo(f"{at} key {key_id!r} epoch {r.epoch} committed (ceremony {r.ceremony_id}){missing}{nxt}")
    elif tick.kind == "failed":
        click.echo(f"{at} re-share of key {key_id!r} failed: {tick.detail}{nxt}")
    elif tick.kind == "catch-up":
        what = "; ".join(f"{n}: {w}" for n, w in tick.catch_up.items()) or tick.detail
        click.echo(f"{at} catch-up: {what}")
    elif tick.kind == "refused":
        click.echo(f"{at} re-share not approved: {tick.detail}{nxt}")
    elif tick.kind == "scheduled":
        click.echo(f"{at} scheduler started for key {key_id!r}{nxt}")
    else:
        click.echo(f"{at} scheduler stopped ({tick.detail})")
