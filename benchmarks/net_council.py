"""A council of member processes on loopback for the ceremony benchmarks: `LocalCouncil` in a
temporary directory (insecure, no passphrase), every process killed and the folder removed on close."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from council.localnet.council import LocalCouncil
from council.localnet.processes import StartError  # noqa: F401  (re-exported for the benchmarks)
from council.roster import Roster


class NetCouncil(LocalCouncil):
    """`LocalCouncil` under a temporary directory; use as a context manager."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="keycouncil-bench-", dir=os.environ.get("KEYCOUNCIL_BENCH_DIR"))
        super().__init__(Path(self._tmp.name), operator_name="bench-ops")
        try:
            self.operator = self.init_operator()
        except BaseException:
            self._tmp.cleanup()
            raise

    def __enter__(self) -> NetCouncil:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def roster(self, label: str, threshold: int, names: Sequence[str]) -> Roster:
        return self.write_roster(label, threshold, names)[0]

    def start_timed(self, names: Sequence[str], roster_label: str, timeout: float,
                    listen: Mapping[str, str] | None = None) -> float:
        """Spawn the members' processes at once (each on `listen[name]` instead of its card's
        address where given); seconds until every one logged `serving`."""
        began = time.perf_counter()
        for name in names:
            where = (listen or {}).get(name)
            self.spawn(name, self.roster_files[roster_label], *(("--listen", where) if where else ()))
        self.processes.wait_serving(names, timeout)
        return time.perf_counter() - began

    def close(self) -> None:
        """SIGKILL every member process, wait for each, remove the folder."""
        try:
            super().close()
        finally:
            self._tmp.cleanup()
