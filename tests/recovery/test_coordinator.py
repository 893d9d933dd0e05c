"""The coordinator with in-process members: success, a bogus share named, fewer than t (library
and CLI), non-operator refused, target-bound recovery where the coordinator never holds the key."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from recovery_helpers import seal_versions, two_epochs

import council.crypto.decryption as decryption_module
import council.crypto.kem as kem_module
import recovery.coordinator as coordinator_module
from cli import main as cli_main
from cli.recover import BACKEND_KEY, Connection, recover
from council.crypto.drbg import seeded
from council.crypto.group import P256, Scalar
from council.crypto.signing import Signer
from council.errors import PolicyRefused
from council.localnet.in_process_members import LocalMemberClient
from council.node.release.policy import ReleasePolicy
from council.protocol.errors import RecoveryFailed
from recovery.choose import choose_dump
from recovery.coordinator import finish_target, recover_for_target, recover_to_file
from recovery.gather import MemberEvent
from recovery.package import TargetPackage

PAYLOADS = [b"one " * 10, b"two " * 40, b"three, the newest " * 30]
NOW = 1_800_000_000_000
DEV = ReleasePolicy(require_admitted_sealer=False, allow_simulated=True)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    e = two_epochs()
    folder = tmp_path / "store"
    folder.mkdir()
    seal_versions(folder, [e.old, e.old, e.new], PAYLOADS)
    return folder


def _client(**kw) -> LocalMemberClient:
    e = two_epochs().new
    return LocalMemberClient(e.roster, e.council.key_id, e.council.epoch, e.shares, DEV,
                             clock_ms=lambda: NOW, **kw)


def test_recovery_succeeds(tmp_path: Path, store: Path) -> None:
    events: list[MemberEvent] = []
    out = tmp_path / "out.bin"
    report = recover_to_file(choose_dump(store, "app"), two_epochs().new.council, two_epochs().operator,
                             _client(), out, now_unix_ms=NOW, progress=events.append)
    assert out.read_bytes() == PAYLOADS[2]
    assert report.dump_version == 3 and len(report.used) == 5
    assert sorted(e.index for e in events if e.status == "answered") == [1, 2, 3, 4, 5, 6, 7]


def test_bogus_share_is_dropped_and_named(tmp_path: Path, store: Path) -> None:
    events: list[MemberEvent] = []
    out = tmp_path / "out.bin"
    report = recover_to_file(choose_dump(store, "app"), two_epochs().new.council, two_epochs().operator,
                             _client(bogus=frozenset({2})), out, now_unix_ms=NOW, progress=events.append)
    assert out.read_bytes() == PAYLOADS[2]
    assert set(report.invalid) == {2} and "member 2" in report.invalid[2]
    assert 2 not in report.used
    assert MemberEvent(2, "invalid", report.invalid[2]) in events


def test_fewer_than_t_names_missing_and_needed(tmp_path: Path, store: Path) -> None:
    client = _client(down=frozenset({1, 4}), slow=frozenset({6}))
    out = tmp_path / "out.bin"
    try:
        with pytest.raises(RecoveryFailed) as exc:
            recover_to_file(choose_dump(store, "app"), two_epochs().new.council, two_epochs().operator,
                            client, out, now_unix_ms=NOW, deadline_seconds=0.5)
    finally:
        client.close()
    message = str(exc.value)
    assert "4 valid decryption shares of key recovery-key epoch 1, 5 needed" in message
    assert "member 1 (member 1: connection refused)" in message
    assert "member 6 (no answer within 0.5 s)" in message
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["store"]


def test_policy_refusals_are_reported(tmp_path: Path, store: Path) -> None:
    strict = ReleasePolicy(require_admitted_sealer=False, allow_simulated=False)
    e = two_epochs().new
    client = LocalMemberClient(e.roster, e.council.key_id, e.council.epoch, e.shares, strict)
    with pytest.raises(RecoveryFailed, match=r"0 valid .*refused: member 1 \(.*allow_simulated = false"):
        recover_to_file(choose_dump(store, "app"), e.council, two_epochs().operator, client,
                        tmp_path / "out.bin", now_unix_ms=NOW)


def test_non_operator_is_refused_by_every_member(tmp_path: Path, store: Path) -> None:
    stranger = Signer.from_seed(seeded(b"stranger")(32))
    with pytest.raises(RecoveryFailed, match="not an operator of the roster"):
        recover_to_file(choose_dump(store, "app"), two_epochs().new.council, stranger, _client(),
                        tmp_path / "out.bin", now_unix_ms=NOW)


class _Backend:
    def __init__(self, client: LocalMemberClient) -> None:
        self.client = client

    def connect(self, roster_path: Path, operator_dir: Path, key_id: str) -> Connection:
        return Connection(self.client, two_epochs().operator, two_epochs().new.council)


def _run_cli(args: list[str], backend: _Backend, monkeypatch: pytest.MonkeyPatch) -> int:
    cli_main.cli.add_command(recover)
    monkeypatch.setattr(sys, "argv", ["keycouncil", *args])
    monkeypatch.setattr(cli_main, "_register", lambda: None)
    original = cli_main.cli.main
    monkeypatch.setattr(cli_main.cli, "main", lambda **kw: original(obj={BACKEND_KEY: backend}, **kw))
    with pytest.raises(SystemExit) as exc:
        cli_main.main()
        raise SystemExit(0)
    return int(exc.value.code or 0)


def test_cli_networked_fewer_than_t_exits_non_zero(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.bin"
    args = ["recover", "--roster", str(tmp_path / "r.json"), "--operator", str(tmp_path),
            "--store", str(store), "--app", "app", "-o", str(out)]
    code = _run_cli(args, _Backend(_client(down=frozenset({2, 3, 5}))), monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: recovery of app-3.kcd: 4 valid decryption shares") and "5 needed" in last
    assert "unavailable: member 2" in last and "member 5" in last
    assert "member 1 (n0): answered" in err
    assert not out.exists()


def test_cli_networked_recovers(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.bin"
    args = ["recover", "--roster", str(tmp_path / "r.json"), "--operator", str(tmp_path),
            "--store", str(store), "--app", "app", "-o", str(out)]
    assert _run_cli(args, _Backend(_client(bogus=frozenset({1}))), monkeypatch) == 0
    assert out.read_bytes() == PAYLOADS[2]
    assert "warning: member 1 (n0) gave an invalid share" in capsys.readouterr().err


def _forbid(*_a: object, **_k: object) -> None:
    raise AssertionError("the coordinator reached a key-deriving code path")


def test_target_bound_recovery_coordinator_never_holds_the_key(tmp_path: Path, store: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target_secret = Scalar.random(seeded(b"target"))
    e = two_epochs().new
    chosen = choose_dump(store, "app")
    with monkeypatch.context() as m:  # (a) no combine, no key derivation, no dump opening
        for module, name in ((decryption_module, "combine"), (decryption_module, "open_from_target"),
                             (kem_module, "derive_data_key"), (coordinator_module, "combine"),
                             (coordinator_module, "open_from_target"), (coordinator_module, "open_dump")):
            m.setattr(module, name, _forbid)
        package, report = recover_for_target(chosen, e.council, two_epochs().operator,
                                             _client(bogus=frozenset({3})), P256.base_mul(target_secret),
                                             now_unix_ms=NOW)
    blob = package.to_bytes()
    # (b) the relayed shares are opaque: no D_i = x_i·R appears in anything the coordinator holds.
    r_point = chosen.candidate.dump.header.kem().r_point
    for x_i in e.shares.values():
        d_i = r_point * x_i
        assert d_i.to_bytes() not in blob and d_i.to_uncompressed() not in blob
    assert len(report.used) == 7 and not report.invalid
    # (c) only the target opens, names the bogus member, combines and decrypts.
    parsed = TargetPackage.from_bytes(blob)
    out = tmp_path / "target.bin"
    done = finish_target(parsed, target_secret, chosen.path, out)
    assert out.read_bytes() == PAYLOADS[2]
    assert 3 in done.invalid and 3 not in done.used


def test_target_package_is_useless_to_another_target(tmp_path: Path, store: Path) -> None:
    e = two_epochs().new
    chosen = choose_dump(store, "app")
    package, _ = recover_for_target(chosen, e.council, two_epochs().operator, _client(),
                                    P256.base_mul(Scalar.random()), now_unix_ms=NOW)
    with pytest.raises(PolicyRefused, match="not bound to this target's key"):
        finish_target(package, Scalar.random(), chosen.path, tmp_path / "x.bin")
    assert not (tmp_path / "x.bin").exists()
