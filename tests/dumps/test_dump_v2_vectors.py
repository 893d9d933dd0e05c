"""Known-answer vectors of format version 2 (tests/vectors/dump_v2_vectors.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from council.crypto.group import P256, Scalar
from council.errors import KeycouncilError
from dumps import key_from_secret, open_dump, verify_dump

ROOT = Path(__file__).resolve().parents[2]
V = json.loads((ROOT / "tests" / "vectors" / "dump_v2_vectors.json").read_text())
SECRET = Scalar.from_bytes(bytes.fromhex(V["council_secret"]))
KEYS = key_from_secret(SECRET, P256.base_mul(SECRET))


def test_generator_reproduces_the_file() -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_dump_v2_vectors.py"), "--check"],
                   check=True, timeout=60)


def _outcome(action: Any) -> tuple[str, str]:
    try:
        action()
    except KeycouncilError as exc:
        return type(exc).__name__, str(exc)
    return "ok", ""


@pytest.mark.parametrize("vector", V["vectors"], ids=[v["name"] for v in V["vectors"]])
def test_vector(tmp_path: Path, vector: dict[str, Any]) -> None:
    path = tmp_path / "v.kcd"
    path.write_bytes(bytes.fromhex(vector["dump"]))
    error, message = _outcome(lambda: open_dump(path, tmp_path / "out", KEYS))
    assert error == vector["expected"], message
    assert vector.get("message", "") in message
    if error == "ok":
        assert (tmp_path / "out").read_bytes().hex() == vector["plaintext"]
        dump = verify_dump(path)
        assert dump.digest.hex() == vector["digest"]
        assert dump.trailer.chunks_digest.hex() == vector["chunks_blake3"]
    else:
        assert not (tmp_path / "out").exists()
    error, message = _outcome(lambda: verify_dump(path))
    assert error == vector["verify_expected"], message
    assert vector.get("verify_message", "") in message


def test_ok_vectors_are_version_2_with_a_143_byte_trailer() -> None:
    for v in V["vectors"]:
        if v["expected"] == "ok":
            blob = bytes.fromhex(v["dump"])
            assert blob[:7] == b"KCDUMP\x02" and blob[-143:-136] == b"KCDEND\x02"


def test_vectors_cover_every_expected_failure() -> None:
    expected = {v["expected"] for v in V["vectors"]}
    assert expected >= {"ok", "NotADump", "UnsupportedVersion", "HeaderInvalid", "HeaderSignatureInvalid",
                        "ChunkAuthenticationFailed", "ChunkOutOfOrder", "LengthMismatch", "DumpTruncated",
                        "TrailerInvalid", "TrailerSignatureInvalid", "TrailerMismatch", "TrailingData",
                        "ContentMismatch", "ProofError"}
