"""No share, identity secret or data key in any log line, CLI output or error message.

After a DKG, a recovery, a refused request and a failed recovery, every byte the council wrote to
its logs and printed is scanned for every secret the members hold, in hex, decimal and raw form.
"""

from __future__ import annotations

from pathlib import Path

from net_helpers import APP, KEY, NAMES, Net, invoke, write_release_policy

from cli.recover import recover
from council.crypto.group import Scalar


def _forms(secret: bytes) -> list[bytes]:
    """The ways a secret could leak: raw bytes, hex (both cases), decimal."""
    h = secret.hex()
    return [secret, h.encode(), h.upper().encode(), str(int.from_bytes(secret, "big")).encode()]


def _secrets(net: Net) -> dict[str, bytes]:
    c, out = net.council, {}
    for n in NAMES:
        folder = c.members[n]
        out[f"{n} share"] = c.store(n).load_share(KEY, 0).to_bytes()
        out[f"{n} signing seed"] = folder.identity.signer.seed()
        enc = folder.identity.encryption_secret
        assert isinstance(enc, Scalar)
        out[f"{n} encryption secret"] = enc.to_bytes()
    return out


def test_logs_and_outputs_hold_no_secret(net: Net, tmp_path: Path) -> None:
    c = net.council
    args = ["--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path), "--store",
            str(net.store), "--app", APP, "--deadline", "10"]
    printed = [invoke(recover, [*args, "-o", str(tmp_path / "ok.bin")])]
    assert printed[0].exit_code == 0, printed[0].output
    for n in NAMES:  # now every member refuses: the error paths are logged and printed too
        write_release_policy(c.base / n, allow_simulated=False)
    printed.append(invoke(recover, [*args, "-o", str(tmp_path / "refused.bin")]))
    assert printed[1].exit_code != 0
    texts = [r.output.encode() + str(r.exception or "").encode() for r in printed]
    logs = [p for n in NAMES for p in (c.base / n / "log").rglob("*") if p.is_file()]
    assert {p.name for p in logs} >= {"events.jsonl", "releases.jsonl"}
    texts += [p.read_bytes() for p in logs]
    assert any(b"released" in t for t in texts) and any(b"refused" in t for t in texts)
    for what, secret in _secrets(net).items():
        for form in _forms(secret):
            assert not any(form in t for t in texts), f"{what} appears in a log or output"
