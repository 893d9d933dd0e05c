"""Text helpers for the CLI. Counted nouns for messages: "1 operator", "2 operators" (never "1 operators")."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` and `noun`, with `many` (default noun + "s") unless count is 1."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
