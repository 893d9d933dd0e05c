"""docs/protocol.md section 7 names the function behind every encoding: each name must resolve,
so a rename or move fails here until the table follows it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = ("council.crypto.", "council.", "")
NAME = re.compile(r"`([a-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")
PATH_NAME = re.compile(r"`([a-z_]+(?:/[a-z_]+)*\.py)::([A-Za-z_][A-Za-z0-9_.]*)`")


def _section_7() -> str:
    text = (ROOT / "docs" / "protocol.md").read_text()
    return text[text.index("## 7. Encodings, byte by byte"):]


def _resolve(dotted: str) -> bool:
    for prefix in PREFIXES:
        parts = (prefix + dotted).split(".")
        for cut in range(len(parts), 0, -1):  # the whole name may be a module (protocol.dumpref)
            try:
                obj: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return True
    return False


def test_every_named_producer_exists() -> None:
    text = _section_7()
    names = {m for m in NAME.findall(text) if not m.endswith((".md", ".py", ".json", ".proto", ".bin", ".sealed"))}
    assert len(names) > 30
    missing = sorted(n for n in names if not _resolve(n))
    assert not missing, f"docs/protocol.md section 7 names code that does not exist: {missing}"


def test_every_named_file_function_exists() -> None:
    for path, name in PATH_NAME.findall(_section_7()) + PATH_NAME.findall(
            (ROOT / "docs" / "dump-format.md").read_text()):
        module = importlib.import_module(path[:-3].replace("/", "."))
        assert _resolve(f"{module.__name__}.{name}"), f"{path}::{name}"


PROTO_FIELD = re.compile(r"`([A-Z][A-Za-z]+)\.([a-z_]+)`")


def test_every_named_protobuf_field_exists() -> None:
    """`Message.field` names in section 7 are fields of proto/*.proto."""
    protos = "\n".join(p.read_text() for p in (ROOT / "proto").glob("*.proto"))
    found = PROTO_FIELD.findall(_section_7())
    assert len(found) > 10
    for message, field in found:
        body = re.search(r"message " + message + r" \{(.*?)\n\}", protos, re.S)
        assert body, f"no protobuf message {message}"
        assert re.search(r"\b" + field + r" = \d+;", body.group(1)), f"no field {message}.{field}"
