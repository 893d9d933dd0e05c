"""In-flight ceremony state (formats.md, `ceremonies/<id>/`), written before each answer.

Files, each written atomically once per phase: `request.bin` (the operator-signed request),
`dealing.bin` (own dealing, or none), `dealings.bin` and `response.bin` (what was checked and
answered), `responses.bin` (what the output was computed from), `signed.bin` (the commit this
member signed: it signs one per key epoch), `commits.bin` (the commit signatures), and
`state.json` (`stored` — the new epoch is stored, older shares are kept until `t'` receivers
confirmed theirs —, `done`, `failed` or `superseded`, with a reason; no file means in flight). Messages are public: no secret is
stored here; a restarted member recomputes its share deterministically from these files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from council.crypto.codec import Reader, Writer
from council.crypto.messages import Signed
from council.errors import DecodeError, StorageError
from council.storage.files import read_file, write_atomic


def encode_messages(messages: Sequence[Signed]) -> bytes:
    w = Writer().uint(len(messages), 4)
    for m in messages:
        w.blob(m.to_bytes())
    return w.getvalue()


def decode_messages(data: bytes, where: str) -> tuple[Signed, ...]:
    try:
        r = Reader(data, where)
        out = tuple(Signed.from_bytes(r.blob(f"message[{k}]")) for k in range(r.uint(4, "count")))
        r.end()
        return out
    except DecodeError as exc:
        raise StorageError(f"{where}: damaged ceremony file ({exc})") from None


class CeremonyDir:
    """One ceremony's folder."""

    def __init__(self, root: Path, ceremony_id: bytes) -> None:
        self.path = root / ceremony_id.hex()

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.bin").exists()

    def save(self, name: str, data: bytes) -> None:
        write_atomic(self.path / f"{name}.bin", data)

    def load(self, name: str) -> bytes:
        return read_file(self.path / f"{name}.bin", f"ceremony {name}")

    def save_messages(self, name: str, messages: Sequence[Signed]) -> None:
        self.save(name, encode_messages(messages))

    def load_messages(self, name: str) -> tuple[Signed, ...]:
        return decode_messages(self.load(name), str(self.path / f"{name}.bin"))

    def state(self) -> dict[str, str]:
        path = self.path / "state.json"
        if not path.exists():
            return {"state": "in-flight"}
        try:
            return dict(json.loads(read_file(path, "ceremony state")))
        except (json.JSONDecodeError, TypeError, ValueError):
            raise StorageError(f"{path}: damaged ceremony state") from None

    def set_state(self, state: str, reason: str = "") -> None:
        write_atomic(self.path / "state.json", json.dumps({"state": state, "reason": reason}).encode())


OPEN_STATES = ("in-flight", "stored")


def _ceremony_dirs(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return [p for p in root.iterdir() if p.is_dir() and _is_id(p.name)]


def _is_id(name: str) -> bool:
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)


def in_flight(root: Path) -> list[str]:
    """Ids (hex) of ceremonies not finished: in flight, or stored with older shares still held."""
    out = []
    for p in _ceremony_dirs(root):
        if not (p / "state.json").exists() or CeremonyDir(root, bytes.fromhex(p.name)).state()["state"] == "stored":
            out.append(p.name)
    return sorted(out)


def recent(root: Path, finished: int = 10) -> list[tuple[str, dict[str, str]]]:
    """Every unfinished ceremony and the `finished` most recent others, newest first: (id, state)."""
    dirs = sorted(_ceremony_dirs(root), key=lambda p: p.stat().st_mtime, reverse=True)
    out, kept = [], 0
    for p in dirs:
        state = CeremonyDir(root, bytes.fromhex(p.name)).state()
        if state["state"] not in OPEN_STATES:
            if kept >= finished:
                continue
            kept += 1
        out.append((p.name, state))
    return out
