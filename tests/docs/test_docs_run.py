"""The docs are tested: every shell example of README.md, docs/operators.md and docs/recovery.md
runs, in order, with real member processes on 127.0.0.1 (convention: tests/docs/doc_runner.py and
docs/operators.md, "About the examples"). A documented command that does not work as written
fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_runner import DocError, commands, run_doc

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/operators.md", "docs/recovery.md"]

pytestmark = pytest.mark.slow


@pytest.mark.timeout(120)
@pytest.mark.parametrize("doc", DOCS)
def test_every_documented_command_works(doc: str, tmp_path: Path) -> None:
    assert run_doc(ROOT / doc, tmp_path) >= 5


def test_the_convention_is_enforced(tmp_path: Path) -> None:
    """An unmarked synopsis is an error; skip and run markers do what they say; a failing
    command names the file, the line and the command."""
    md = tmp_path / "x.md"
    md.write_text("```\nkeycouncil recover --store STORE\n```\n")
    with pytest.raises(DocError, match="without `\\$ ` prompts"):
        commands(md)
    md.write_text("<!-- doc-test: skip synopsis -->\n```\nkeycouncil recover --store STORE\n```\n"
                  "<!-- doc-test: run\n$ echo hidden > h\n-->\n```\n$ cat h\nhidden\n$ false \\\n  x\n```\n")
    assert [c.text for c in commands(md)] == ["echo hidden > h", "cat h", "false  x"]
    with pytest.raises(DocError, match=r"x\.md:11: \$ false"):
        run_doc(md, tmp_path / "box")
