"""Run the shell examples of a Markdown file, in order, as a reader would type them.

The convention (docs/operators.md, "About the examples"):

- A fenced block whose lines start with `$ ` is a shell session: every `$ ` line (with `\\`
  continuations) is run with bash, in order, in one scratch folder per file; the other lines are
  sample output and are not compared. Each command must exit 0.
- `<!-- doc-test: skip REASON -->` right before a block marks it illustrative only (never run).
  A block with a line starting with `keycouncil ` but no `$ ` prompt is a synopsis and must be
  marked so; an unmarked one fails the test, so no command block goes untested by accident.
- `<!-- doc-test: run ... -->` holds `$ ` lines the reader types on *other* machines (the same
  commands for m2 and m3); the test runs them at that point.
- Machine-specific paths and fixed example addresses are the only rewriting: `/srv`, `/root`,
  `/dumps`, `/media`, `/etc/keycouncil` live under the scratch folder, `~` is its `home/`, and every
  `127.0.0.1:PORT` or `10.x.x.x:PORT` literal becomes 127.0.0.1 with a fresh port (the same
  literal, the same port, within a file).
- `keycouncil member serve …` is started in the background through
  `council.localnet.processes` (the one member launcher) and waited for until it serves; any other
  command ending in `&` runs in the background; all are stopped when the file is done.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from council.localnet.ports import loopback_port
from council.localnet.processes import MemberProcesses

FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(skip|run)\b(.*)$")
PATHS = re.compile(r"(?<![\w./~-])(/srv|/root|/dumps|/media|/etc/keycouncil)(?=[/\s'\"]|$)")
ADDRESS = re.compile(r"\b(127\.0\.0\.1|10\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d{2,5})\b")
SYNOPSIS = re.compile(r"keycouncil [a-z][a-z-]*( |$)")
SHELL_LANGS = {"", "console", "sh", "shell", "bash"}
COMMAND_TIMEOUT = 90.0


@dataclass(frozen=True)
class Command:
    line: int
    text: str


class DocError(AssertionError):
    """A documented command failed, or a block breaks the convention."""


def commands(path: Path) -> list[Command]:
    """Every command to run, in order (step 1 of the convention)."""
    lines = path.read_text().splitlines()
    out: list[Command] = []
    k, pending = 0, None
    while k < len(lines):
        marker = MARKER.match(lines[k])
        if marker and marker.group(1) == "run":
            k, body = _comment_body(lines, k)
            out += _sessions(body, k - len(body))
            continue
        if marker:
            pending = "skip"
            k += 1 if "-->" in lines[k] else _comment_body(lines, k)[0] - k
            continue
        fence = FENCE.match(lines[k])
        if not fence:
            if lines[k].strip():
                pending = None
            k += 1
            continue
        start, lang = k + 1, fence.group(2)
        k = start
        while k < len(lines) and not FENCE.match(lines[k]):
            k += 1
        block = [ln.strip() for ln in lines[start:k]]
        k += 1
        if pending == "skip":
            pending = None
            continue
        sessions = _sessions(block, start) if lang in SHELL_LANGS else []
        if not sessions and any(SYNOPSIS.match(b) for b in block) and lang in SHELL_LANGS:
            raise DocError(f"{path}:{start}: a block of keycouncil commands without `$ ` prompts: "
                           "mark it <!-- doc-test: skip REASON --> (synopsis) or give it prompts")
        out += sessions
    return out


def _comment_body(lines: list[str], k: int) -> tuple[int, list[str]]:
    body = []
    first = MARKER.match(lines[k])
    rest = first.group(2) if first else ""
    if "-->" in rest:
        return k + 1, []
    k += 1
    while k < len(lines) and "-->" not in lines[k]:
        body.append(lines[k].strip())
        k += 1
    return k + 1, body


def _sessions(block: list[str], first_line: int) -> list[Command]:
    out: list[Command] = []
    k = 0
    while k < len(block):
        if not block[k].startswith("$ "):
            k += 1
            continue
        start, text = k, block[k][2:]
        while text.endswith("\\") and k + 1 < len(block):
            k += 1
            text = text[:-1] + " " + block[k]
        out.append(Command(first_line + start + 1, text))
        k += 1
    return out


class Sandbox:
    """A scratch folder per documented file, with its processes."""

    def __init__(self, root: Path, doc: Path) -> None:
        self.root, self.doc = root, doc
        for sub in ("srv", "root", "dumps", "media", "etc/keycouncil", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self.ports: dict[str, int] = {}
        self.members = MemberProcesses(root / "member-logs")
        self.background: list[subprocess.Popen[bytes]] = []
        self.transcript: list[tuple[Command, str]] = []
        """Each command run and what it printed (for a reader comparing with the docs)."""
        bin_dir = str(Path(sys.executable).parent)
        self.env = {**os.environ, "HOME": str(root / "home"), "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
        for name in ("KEYCOUNCIL_PASSPHRASE", "KEYCOUNCIL_CONFIG", "KEYCOUNCIL_OPERATOR", "KEYCOUNCIL_ROSTER"):
            self.env.pop(name, None)

    def rewrite(self, text: str) -> str:
        text = PATHS.sub(lambda m: str(self.root) + m.group(1), text)
        return ADDRESS.sub(lambda m: f"127.0.0.1:{self._port(m.group(0))}", text)

    def _port(self, literal: str) -> int:
        if literal not in self.ports:
            self.ports[literal] = loopback_port()
        return self.ports[literal]

    def run(self, cmd: Command) -> None:
        text = self.rewrite(cmd.text)
        where = f"{self.doc.name}:{cmd.line}: $ {cmd.text}"
        words = shlex.split(text, comments=True)
        if words[:3] == ["keycouncil", "member", "serve"]:
            self._serve([w for w in words[3:] if w != "&"], where)
            return
        if words and words[-1] == "&":
            self.background.append(subprocess.Popen(["bash", "-c", text.rstrip().rstrip("&")], cwd=self.root,
                                                    env=self.env, stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.DEVNULL))
            return
        try:
            p = subprocess.run(["bash", "-o", "pipefail", "-c", text], cwd=self.root, env=self.env,
                               capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DocError(f"{where}\n  did not finish in {COMMAND_TIMEOUT:g} s") from None
        self.transcript.append((cmd, p.stdout + p.stderr))
        if p.returncode != 0:
            raise DocError(f"{where}\n  exit {p.returncode}\n  stdout: {p.stdout[-1500:]}\n  stderr: {p.stderr[-1500:]}")

    def _serve(self, args: list[str], where: str) -> None:
        folder = next(a for a in args if not a.startswith("-"))
        path = (self.root / folder).resolve() if not os.path.isabs(folder) else Path(folder)
        argv = ["-m", "council.localnet.member_process", "serve", *args]
        try:
            self.members.spawn(str(path), path, argv, cwd=self.root)
            self.members.wait_serving([str(path)], timeout=60)
        except Exception as exc:
            raise DocError(f"{where}\n  member did not start: {exc}") from None

    def close(self) -> None:
        for p in self.background:
            if p.poll() is None:
                p.kill()
            p.wait(10)
        self.members.close()


def run_doc(doc: Path, root: Path, show: bool = False) -> int:
    """Run every command of `doc` in a sandbox under `root`; returns how many ran. With `show`,
    print each command and its output (`python tests/docs/doc_runner.py FILE`)."""
    todo = commands(doc)
    box = Sandbox(root, doc)
    try:
        for cmd in todo:
            box.run(cmd)
            if show and box.transcript and box.transcript[-1][0] is cmd:
                print(f"$ {cmd.text}\n{box.transcript[-1][1]}", end="", flush=True)
    finally:
        box.close()
    return len(todo)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        run_doc(Path(sys.argv[1]).resolve(), Path(scratch), show=True)
