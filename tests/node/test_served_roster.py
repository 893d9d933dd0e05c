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
