"""`keycouncil demo`: the whole lifecycle with real member processes, narrated (`make demo`).

`--in-process` runs the older protocol walk-through instead (no network, no disk).
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import click


def _committee(value: str) -> tuple[int, int]:
    n, sep, t = value.partition(":")
    if not sep or not n.isdigit() or not t.isdigit():
        raise click.BadParameter(f"{value!r}: expected N:T, e.g. 7:5", param_hint="--reshare-to")
    return int(n), int(t)


class _Bar:
    """One self-erasing progress line on stderr: label, bar, percent, MiB/s."""

    WIDTH = 30

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.start = self.last = time.monotonic()

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last < 0.1 and self.done < self.total:
            return
        self.last = now
        frac = min(self.done / self.total, 1.0)
        filled = int(frac * self.WIDTH)
        rate = self.done / max(now - self.start, 1e-6) / (1 << 20)
        sys.stderr.write(f"\r      {self.label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] "
                         f"{100 * frac:3.0f}%  {rate:.0f} MiB/s\033[K")
        sys.stderr.flush()

    def erase(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


@contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress line on stderr while a long step runs, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = _Bar(label, total)
    try:
        yield bar.update
    finally:
        bar.erase()


_SIGNALLED: list[int] = []
"""The SIGTERM/SIGHUP received, if any: raised again at the next line the demo prints and at its end."""


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGTERM/SIGHUP: leave through the normal path so every member process is killed. Python
    ignores an exception raised while a finalizer or `__del__` runs, so the signal is also kept
    and raised again by `_echo` and at the end: an interrupted demo never exits 0."""
    _SIGNALLED.append(signum)
    raise SystemExit(128 + signum)


def _leave_if_signalled() -> None:
    if _SIGNALLED:
        raise SystemExit(128 + _SIGNALLED[0])


def _echo(text: str) -> None:
    _leave_if_signalled()
    click.echo(text)


@click.command()
@click.option("--members", "-n", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Members of the first committee.")
@click.option("--threshold", "-t", type=click.IntRange(min=1), default=3, show_default=True,
              help="Members needed to decrypt, first committee.")
@click.option("--reshare-to", default="7:5", show_default=True, metavar="N:T",
              help="The committee after the re-share: N members, threshold T.")
@click.option("--state-mib", type=click.IntRange(min=1), default=64, show_default=True,
              help="Size of each sealed state version, in MiB.")
@click.option("--keep", is_flag=True, help="Keep the demo folder (data folders, store, logs).")
@click.option("--in-process", is_flag=True,
              help="The protocol walk-through in one process instead (no network, no disk).")
def demo(members: int, threshold: int, reshare_to: str, state_mib: int, keep: bool,
         in_process: bool) -> None:
    """Run a council of member processes on loopback: DKG, sealing, re-share, full shutdown,
    recovery of the newest state; exit 1 unless it comes back byte for byte."""
    if in_process:
        from cli.demo.in_process import run_in_process_demo

        run_in_process_demo(click.echo)
        return
    from cli.demo.networked import Console, DemoOptions, run_networked_demo

    n2, t2 = _committee(reshare_to)
    opts = DemoOptions(members, threshold, n2, t2, state_mib, keep)
    try:
        opts.check()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    ok = run_networked_demo(opts, Console(_echo, _bar))
    _leave_if_signalled()
    if not ok:
        sys.exit(1)
