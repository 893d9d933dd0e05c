"""`keycouncil demo`: the networked lifecycle (`networked`) and the in-process protocol walk-through
(`in_process`, kept behind `keycouncil demo --in-process`)."""

from council.demo.in_process import run_in_process_demo

__all__ = ["run_in_process_demo"]
