"""The one rule for key ids (docs/dump-format.md, "Key ids"), shared by every reader.

A key id names a folder on every member (`keys/<key_id>/`), so the member's rule is the rule:
1..64 characters of `[A-Za-z0-9._-]`, never `.` or `..`. The dump header, backup files and the
CLI check the same function, so a key id one part accepts is never refused by another.
"""

from __future__ import annotations

import re
from typing import Final

KEY_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
KEY_ID_RULE: Final = "1..64 characters of [A-Za-z0-9._-], not '.' or '..'"


def is_valid_key_id(key_id: str) -> bool:
    """True if `key_id` follows KEY_ID_RULE."""
    return KEY_ID_PATTERN.fullmatch(key_id) is not None and key_id not in (".", "..")
