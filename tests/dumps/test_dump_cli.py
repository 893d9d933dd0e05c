"""The `dump` and `signer` click groups, end to end in one folder (CliRunner)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from dump_helpers import flip, make_council

from cli.dump import dump, signer
from dumps.errors import DumpExists, LengthMismatch

COUNCIL = make_council()


def _run(group: object, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(group, [str(a) for a in args])  # type: ignore[arg-type]
    return result.exit_code, result.output, result.exception


def test_signer_seal_inspect_verify_ls_open(tmp_path: Path) -> None:
    code, out, _ = _run(signer, "new", tmp_path / "signer", "--simulated")
    assert code == 0 and "INSECURE" in out
    assert (tmp_path / "signer" / "signer.key").stat().st_mode & 0o777 == 0o600
    bundle = tmp_path / "bundle.json"
    bundle.write_text(COUNCIL.bundle.dumps())
    store = tmp_path / "store"
    store.mkdir()
    for v in (1, 2):
        (tmp_path / "state.bin").write_bytes(b"state %d" % v * 1000)
        code, out, exc = _run(dump, "seal", "--bundle", bundle, "--signer", tmp_path / "signer",
                              "--app", "app", "--version", v, "--chunk-size", 256,
                              tmp_path / "state.bin", "-o", store / f"anything-{v}.kcd")
        (tmp_path / "state.bin").unlink()
        assert code == 0, (out, exc)
        assert "INSECURE" in out
    code, out, _ = _run(dump, "inspect", store / "anything-2.kcd")
    report = json.loads(out)
    assert report["verification"]["authentic"] and report["header"]["dump_version"] == 2
    assert report["header"]["previous_digest"] and "INSECURE" in report["warning"]
    code, out, _ = _run(dump, "verify", store / "anything-2.kcd", "--bundle", bundle)
    assert code == 0 and "authentic: app version 2" in out
    code, out, exc = _run(dump, "verify", store / "anything-2.kcd", "--no-simulated")
    assert code == 1 and "simulated evidence is not admitted" in str(exc)
    (store / "readme.txt").write_text("not a dump")
    code, out, _ = _run(dump, "ls", store)
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "APP", "VERSION", "SIZE"] and len(lines) == 3
    assert "newest" in lines[2] and "INSECURE" in lines[2] and "ok" in lines[1]
    (tmp_path / "secret.hex").write_text(COUNCIL.secret.to_bytes().hex())
    code, out, exc = _run(dump, "open", store / "anything-2.kcd", "--secret-file",
                          tmp_path / "secret.hex", "-o", tmp_path / "plain")
    assert code == 0, exc
    assert (tmp_path / "plain").read_bytes() == b"state 2" * 1000


def test_verify_fails_on_tampering_and_seal_never_overwrites(tmp_path: Path) -> None:
    _run(signer, "new", tmp_path / "s", "--simulated")
    (tmp_path / "b.json").write_text(COUNCIL.bundle.dumps())
    (tmp_path / "in").write_bytes(b"x" * 5000)
    args = ["seal", "--bundle", tmp_path / "b.json", "--signer", tmp_path / "s", "--app", "a",
            "--version", "1", "--chunk-size", "1024", tmp_path / "in", "-o", tmp_path / "d.kcd"]
    assert _run(dump, *args)[0] == 0
    code, _, exc = _run(dump, *args)
    assert code == 1 and isinstance(exc, DumpExists)
    blob = (tmp_path / "d.kcd").read_bytes()
    (tmp_path / "t.kcd").write_bytes(blob[:-300] + blob[-175:])
    code, _, exc = _run(dump, "verify", tmp_path / "t.kcd")
    assert code == 1 and isinstance(exc.__cause__, LengthMismatch) and "t.kcd" in str(exc)
    (tmp_path / "f.kcd").write_bytes(flip(blob, 700))
    assert _run(dump, "verify", tmp_path / "f.kcd")[0] == 1
    code, _, exc = _run(signer, "new", tmp_path / "s2")
    assert code == 2


def test_seal_auto_previous_refuses_an_older_version(tmp_path: Path) -> None:
    _run(signer, "new", tmp_path / "s", "--simulated")
    (tmp_path / "b.json").write_text(COUNCIL.bundle.dumps())
    (tmp_path / "in").write_bytes(b"y" * 100)
    base = ["seal", "--bundle", tmp_path / "b.json", "--signer", tmp_path / "s", "--app", "a",
            "--chunk-size", "64", tmp_path / "in"]
    assert _run(dump, *base, "--version", "3", "-o", tmp_path / "v3.kcd")[0] == 0
    code, _, exc = _run(dump, *base, "--version", "2", "-o", tmp_path / "v2.kcd")
    assert code == 1 and "must be newer" in str(exc)
    assert not (tmp_path / "v2.kcd").exists()


def test_signer_new_help_shows_the_platform_folders_without_importing_them() -> None:
    """`dump seal` must not import the attestation package at start-up; the help text still names
    the real default folders."""
    from dumps.tee.configfs_tsm import TSM_REPORT_ROOT
    from dumps.tee.gramine import ATTESTATION_ROOT

    code, out, _ = _run(signer, "new", "--help")
    assert code == 0 and str(TSM_REPORT_ROOT) in out.replace("\n", "").replace(" ", "")
    assert str(ATTESTATION_ROOT) in out
    probe = subprocess.run([sys.executable, "-c", "import sys, cli.dump; "
                            "print(any(m.startswith(('council.attestation', 'dumps.tee')) for m in sys.modules))"],
                           capture_output=True, text=True, timeout=60, check=True)
    assert probe.stdout.strip() == "False"
