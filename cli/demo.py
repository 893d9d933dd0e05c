"""`keycouncil demo`: the whole lifecycle, narrated."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Run the protocol demo (in-process until the networked demo lands)."""
    from council.demo import run_in_process_demo

    run_in_process_demo(click.echo)
