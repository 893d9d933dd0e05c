"""The curated mutant list (tools/mutants/mutants.toml) stays applicable: every original text is
found exactly once and every killing test exists, so a refactor that moves a checked line makes
`make test` say which mutant to update (`make mutants` itself plants them)."""

from __future__ import annotations

from tools.mutants.__main__ import Mutant, check, choose, load, outcome


def test_every_mutant_applies_and_names_existing_tests() -> None:
    mutants = load()
    assert len(mutants) >= 30
    assert check(mutants) == 0


def test_slices_cover_the_list_once() -> None:
    mutants = load()
    sliced = [m.id for k in range(1, 7) for m in choose(mutants, [], f"{k}/6")]
    assert sorted(sliced) == sorted(m.id for m in mutants)


def test_only_a_failing_test_kills() -> None:
    assert (outcome(0), outcome(1), outcome(4), outcome(5)) == ("SURVIVED", "killed", "ERROR", "ERROR")
    assert isinstance(load()[0], Mutant)
