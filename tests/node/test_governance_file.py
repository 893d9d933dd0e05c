"""A member's governance.toml is read on every widening proposal and parsed again whenever its bytes
change (decision 128): an edit takes effect at the next proposal, a broken edit is refused then,
and a removed file means the all-manual default again."""

from __future__ import annotations

from pathlib import Path

import pytest

from council.node.governance import FILE_NAME, Governance, GovernanceInvalid, load_governance


def test_every_edit_is_seen_at_the_next_read(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    assert load_governance(tmp_path) == Governance()
    path.write_text('[auto_approve]\nkinds = ["recovery-requested"]\n')
    first = load_governance(tmp_path)
    assert first.auto_kinds == frozenset({"recovery-requested"}) and load_governance(tmp_path) is first  # parsed once
    path.write_text('[auto_approve]\nkinds = ["roster-proposed"]\n')
    assert load_governance(tmp_path).auto_kinds == frozenset({"roster-proposed"})
    path.write_text('[auto_approve]\nkinds = ["genesis"]\n')
    with pytest.raises(GovernanceInvalid, match="not a widening kind"):
        load_governance(tmp_path)
    path.write_text("not toml [")
    with pytest.raises(GovernanceInvalid, match="not valid TOML"):
        load_governance(tmp_path)
    path.unlink()
    assert load_governance(tmp_path) == Governance()
