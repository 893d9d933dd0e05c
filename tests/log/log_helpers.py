"""Helpers shared by the log's rule tests (importable as `log_helpers`, tests/conftest.py)."""

from __future__ import annotations

import pytest

from council.log import LogRuleError, Role
from council.log import bodies as b
from council.log.sim import Council


def refused(c: Council, author_name: str, role: Role, body: b.Body, rule: str, names: list[str] | None = None) -> LogRuleError:
    """The entry `author_name` makes of `body` is refused by `rule`, and the error says so with its seq."""
    entry = c.entry(c.signer(author_name), role, body)
    with pytest.raises(LogRuleError) as info:
        c.accept(entry, names)
    assert info.value.rule == rule, str(info.value)
    assert info.value.seq == entry.seq and str(info.value).startswith(f"log entry {entry.seq}: {rule}: ")
    return info.value
