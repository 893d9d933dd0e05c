"""Fuzzing the untrusted decoders of recovery: backup files, recovery requests, target packages.
Whatever the bytes, they either parse or raise a KeycouncilError subclass, never anything else."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recovery_helpers import seal_versions, two_epochs

from council.crypto.drbg import seeded
from council.crypto.group import P256, Scalar
from council.errors import KeycouncilError
from council.protocol import backup_file
from council.protocol.backup import export_backup
from council.protocol.recovery_request import RecoveryRequest
from council.protocol.shares import TargetBoundShare
from recovery.choose import choose_dump
from recovery.coordinator import build_request
from recovery.package import TargetPackage

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _samples(tmp: str) -> tuple[bytes, bytes, bytes]:
    folder = Path(tmp)
    e = two_epochs()
    [path, *_] = export_backup(e.new.shares[1], 1, e.new.council.bundle, e.new.council.verification_shares,
                               folder / "b", 1, [(2, 3)], None)
    (folder / "s").mkdir()
    seal_versions(folder / "s", [e.new], [b"x" * 70])
    target = P256.base_mul(Scalar.random(seeded(b"fz")))
    request = build_request(choose_dump(folder / "s", "app"), e.new.council, e.operator, 1, target)
    package = TargetPackage(request, e.new.council, (TargetBoundShare(1, b"\x01" * 150),))
    return path.read_bytes(), request.to_bytes(), package.to_bytes()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, bytes]:
    return _samples(str(tmp_path_factory.mktemp("fuzz")))


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    return bytes(buf[:cut] if cut is not None else buf)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6)
CUT = st.one_of(st.none(), st.integers(0, 1 << 14))


def test_samples_parse(samples: tuple[bytes, bytes, bytes]) -> None:
    backup, request, package = samples
    assert backup_file.parse(backup, "b").label.member == 1
    assert RecoveryRequest.from_bytes(request).to_bytes() == request
    assert TargetPackage.from_bytes(package).to_bytes() == package


def _only_clean_errors(parse, data: bytes) -> None:
    try:
        parse(data)
    except KeycouncilError:
        pass


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_backup_parser_mutations(samples: tuple[bytes, bytes, bytes], edits, cut) -> None:
    _only_clean_errors(lambda d: backup_file.parse(d, "fuzz"), _mutate(samples[0], edits, cut))


@FUZZ
@given(data=st.binary(max_size=600))
def test_backup_parser_random_bytes(data: bytes) -> None:
    _only_clean_errors(lambda d: backup_file.parse(d, "fuzz"), b"keycouncil-backup/1\n" + data)


@FUZZ
@given(lines=st.lists(st.text(max_size=40), max_size=12))
def test_backup_parser_random_lines(lines: list[str]) -> None:
    text = "\n".join(["keycouncil-backup/1", *lines]).encode("utf-8", "surrogatepass")
    _only_clean_errors(lambda d: backup_file.parse(d, "fuzz"), text)


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_request_decoder_mutations(samples: tuple[bytes, bytes, bytes], edits, cut) -> None:
    _only_clean_errors(RecoveryRequest.from_bytes, _mutate(samples[1], edits, cut))


@FUZZ
@given(data=st.binary(max_size=400))
def test_request_decoder_random_bytes(data: bytes) -> None:
    _only_clean_errors(RecoveryRequest.from_bytes, data)


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_package_decoder_mutations(samples: tuple[bytes, bytes, bytes], edits, cut) -> None:
    _only_clean_errors(TargetPackage.from_bytes, _mutate(samples[2], edits, cut))


WORDS = st.lists(st.one_of(st.sampled_from(["academic", "acid", "zero", "wolf", "yield", "luck"]),
                           st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=9)), max_size=40)


@FUZZ
@given(words=WORDS)
def test_backup_parser_random_mnemonic_words(samples: tuple[bytes, bytes, bytes], words: list[str]) -> None:
    text = samples[0].decode()
    head, _, rest = text.partition("mnemonic:\n")
    _, _, public = rest.partition("public:\n")
    data = f"{head}mnemonic:\n  {' '.join(words)}\npublic:\n{public}".encode()
    _only_clean_errors(lambda d: backup_file.parse(d, "fuzz"), data)
