"""`keycouncil demo`: the networked lifecycle (`networked`) and the in-process protocol walk-through
(`in_process`, kept behind `keycouncil demo --in-process`); the click command is in `command`."""

from cli.demo.command import demo
from cli.demo.in_process import run_in_process_demo

__all__ = ["demo", "run_in_process_demo"]
