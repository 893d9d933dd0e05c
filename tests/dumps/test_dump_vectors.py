"""Known-answer vectors (tests/vectors/dump_vectors.json): each opens, or fails as it says."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from council.crypto.group import P256, Scalar
from council.errors import KeycouncilError
from dumps import key_from_secret, open_dump, verify_dump
from dumps.header_codec import decode_header
from dumps.newest import choose_newest
from dumps.store import FolderStore

ROOT = Path(__file__).resolve().parents[2]
V = json.loads((ROOT / "tests" / "vectors" / "dump_vectors.json").read_text())
SECRET = Scalar.from_bytes(bytes.fromhex(V["council_secret"]))
KEYS = key_from_secret(SECRET, P256.base_mul(SECRET))


def test_generator_reproduces_the_file() -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_dump_vectors.py"), "--check"],
                   check=True, timeout=60)


def test_public_key_matches_secret() -> None:
    assert P256.base_mul(SECRET).to_bytes().hex() == V["council_public_key"]


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
    else:
        assert not (tmp_path / "out").exists()
    error, message = _outcome(lambda: verify_dump(path))
    assert error == vector["verify_expected"], message
    assert vector.get("verify_message", "") in message


def test_vectors_cover_every_expected_failure() -> None:
    expected = {v["expected"] for v in V["vectors"]}
    assert expected >= {"ok", "NotADump", "UnsupportedVersion", "HeaderInvalid", "HeaderSignatureInvalid",
                        "ChunkAuthenticationFailed", "ChunkOutOfOrder", "LengthMismatch", "DumpTruncated",
                        "TrailerInvalid", "TrailerSignatureInvalid", "TrailerMismatch", "TrailingData",
                        "ContentMismatch", "ProofError"}
    assert hashlib.sha256(bytes.fromhex(V["vectors"][0]["dump"])).hexdigest()  # well-formed hex


BY_NAME = {v["name"]: v for v in V["vectors"]}


@pytest.mark.parametrize("vector", [v for v in V["vectors"] if "digest" in v],
                         ids=[v["name"] for v in V["vectors"] if "digest" in v])
def test_dump_digest(tmp_path: Path, vector: dict[str, Any]) -> None:
    """Every vector that verifies gives its digest: SHA-256(domain ‖ prefix ‖ trailer body)."""
    path = tmp_path / "v.kcd"
    path.write_bytes(bytes.fromhex(vector["dump"]))
    assert verify_dump(path).digest.hex() == vector["digest"]


def test_chain_links() -> None:
    """Expected: each `chain:` dump's header carries the digest of the dump it links to."""
    chained = [v for v in V["vectors"] if v.get("previous_digest")]
    assert len(chained) >= 3
    digests = {v["digest"] for v in V["vectors"] if "digest" in v}
    for v in chained:
        header = decode_header(_header_bytes(bytes.fromhex(v["dump"])))
        assert header.previous_digest.hex() == v["previous_digest"]
        assert v["previous_digest"] in digests, v["name"]
    v2 = BY_NAME["chain: version 2 links to version 1"]
    assert v2["previous_digest"] == BY_NAME["chain: version 1 starts the chain"]["digest"]


def _header_bytes(blob: bytes) -> bytes:
    return blob[11:11 + int.from_bytes(blob[7:11], "big")]


@pytest.mark.parametrize("case", V["stores"], ids=[c["name"] for c in V["stores"]])
def test_choose_newest_vectors(tmp_path: Path, case: dict[str, Any]) -> None:
    """Expected: the accepted chain in order, and each skipped dump with its reason."""
    for name, vector_name in case["files"].items():
        (tmp_path / name).write_bytes(bytes.fromhex(BY_NAME[vector_name]["dump"]))
    selection = choose_newest(FolderStore(tmp_path), "vector-app")
    assert [c.name for c in selection.chain] == case["expected_chain"]
    skipped = {s.name: s.reason for s in selection.skipped}
    assert set(skipped) == set(case["expected_skipped"])
    for name, fragment in case["expected_skipped"].items():
        assert fragment in skipped[name], skipped[name]
