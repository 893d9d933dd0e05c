"""`member serve DIR` keeps the roster it was given, so later starts need only the folder."""

from __future__ import annotations

import pytest
from node_helpers import Council

from council.node.folder import FolderError
from council.node.runtime import served_roster
from council.storage.folders import load_roster


def test_the_roster_is_kept_for_later_starts(council: Council) -> None:
    c = council
    c.add_members("a", "b")
    roster = c.roster("r1", 2, ["a", "b"])
    folder = c.base / "a"
    with pytest.raises(FolderError, match="no roster yet; pass --roster FILE once"):
        served_roster(folder, None)
    assert served_roster(folder, c.roster_files["r1"]) == c.roster_files["r1"]
    kept = served_roster(folder, None)
    assert kept == folder / "roster.json"
    assert load_roster(kept).digest() == roster.digest()


def test_the_served_roster_follows_the_newest_committed_epoch(council: Council) -> None:
    """After a re-share the member serves the new roster at once, and a restart without --roster
    (or with the old roster) serves the new one too; `Status` reports it."""
    from council.driver.ceremony import run_dkg, run_reshare
    from council.driver.phases import Timing
    from council.node.runtime import open_member

    c, fast = council, Timing(call_timeout=20, retry_window=0.3)
    c.add_members("a", "b", "c", "d")
    r1, r2 = c.roster("r1", 2, ["a", "b", "c"]), c.roster("r2", 2, ["a", "b", "d"])
    for n in ("a", "b", "c"):
        c.serve(n, "r1")
    c.serve("d", "r2")
    assert run_dkg(r1, "k", c.op(), fast).committed
    folder = c.base / "a"
    served_roster(folder, c.roster_files["r1"])          # as `member serve --roster r1` kept it
    assert run_reshare(r1, r2, "k", c.op(), fast).committed
    live = c.servers["a"].node
    assert live.served.digest() == r2.digest()           # followed at commit, no restart
    assert live.status().served_roster_digest == r2.digest()
    assert load_roster(folder / "roster.json").digest() == r2.digest()
    c.stop("a")
    for given in (served_roster(folder, None), c.roster_files["r1"]):
        node = open_member(folder, given, None, log_to_stderr=False)
        assert node.served.digest() == r2.digest(), given
    assert '"event": "roster-followed"' in (folder / "log" / "events.jsonl").read_text()
