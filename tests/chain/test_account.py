"""The submitting account's key file: 0600 only, hex only, and never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from council.chain.account import create_key_file, load_signer
from council.errors import ChainError


def test_key_file_round_trip_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "submitter.key"
    signer = create_key_file(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_signer(path).address == signer.address
    key = path.read_text().strip()
    assert key not in repr(signer) and signer.address in repr(signer)
    with pytest.raises(FileExistsError):
        create_key_file(path)  # never overwrites a key


def test_key_file_refusals_never_show_the_key(tmp_path: Path) -> None:
    path = tmp_path / "submitter.key"
    create_key_file(path)
    key = path.read_text().strip()
    os.chmod(path, 0o644)
    with pytest.raises(ChainError, match="mode 0600") as exc:
        load_signer(path)
    assert key not in str(exc.value)
    bad = tmp_path / "bad.key"
    bad.write_text("0x" + key[:-2] + "zz")
    os.chmod(bad, 0o600)
    with pytest.raises(ChainError, match="expected 64 hex digits") as exc:
        load_signer(bad)
    assert key[:-2] not in str(exc.value)
    with pytest.raises(ChainError, match="cannot read"):
        load_signer(tmp_path / "missing.key")
