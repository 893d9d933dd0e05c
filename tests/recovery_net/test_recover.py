"""Networked recovery against in-process members over gRPC: the CLI restores the newest dump,
a bogus member is named and dropped, too few members fail cleanly, target-bound mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from net_helpers import APP, Net, invoke, releases, serve_with_hook

from cli.recover import recover
from council.crypto.decryption import DecryptionShare
from council.crypto.group import P256, G, Scalar
from council.protocol.recovery_request import RecoveryRequest
from council.protocol.shares import MemberReply

pytestmark = pytest.mark.timeout(60)


def _args(net: Net, out: Path, *extra: str) -> list[str]:
    c = net.council
    return ["--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path), "--store", str(net.store),
            "--app", APP, "-o", str(out), "--deadline", "10", *extra]


def test_cli_recovers_newest_over_grpc(net: Net, tmp_path: Path) -> None:
    out = tmp_path / "state.bin"
    result = invoke(recover, _args(net, out))
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.read_bytes() == net.payloads[-1]
    assert "member 1 (m1): answered" in result.output
    for n in ("m1", "m2", "m3"):
        assert releases(net.council.base / n)[-1]["decision"] == "released"
        assert "share" not in releases(net.council.base / n)[-1]


def _bogus(request: RecoveryRequest, reply: MemberReply) -> MemberReply:
    assert isinstance(reply, DecryptionShare)
    return DecryptionShare(reply.index, reply.d + G, reply.proof)


def test_bogus_member_is_named_and_dropped(net: Net, tmp_path: Path) -> None:
    net.down("m2")
    serve_with_hook(net.council, "m2", "r1", _bogus)
    try:
        out = tmp_path / "state.bin"
        result = invoke(recover, _args(net, out))
        assert result.exit_code == 0, (result.output, result.exception)
        assert out.read_bytes() == net.payloads[-1]
        assert "member 2 (m2): invalid" in result.output
    finally:
        net.down("m2")


def test_fewer_than_t_members_fails_naming_them(net: Net, tmp_path: Path) -> None:
    net.down("m1", "m3")
    out = tmp_path / "state.bin"
    result = invoke(recover, _args(net, out))
    assert result.exit_code != 0
    message = str(result.exception)
    # the request cannot be accepted in the council log with fewer than t members (2/7)
    assert "not accepted in the council log" in message and "1 of 2 approvals needed" in message, message
    assert "m1: unreachable" in message and "m3: unreachable" in message, message
    assert not out.exists() and not list(tmp_path.iterdir())


def test_target_bound_then_finish(net: Net, tmp_path: Path) -> None:
    secret = Scalar(123456789)
    (tmp_path / "target.pub").write_text(P256.base_mul(secret).to_bytes().hex())
    (tmp_path / "target.key").write_text(secret.to_bytes().hex())
    package = tmp_path / "package.bin"
    result = invoke(recover, _args(net, package, "--target-key", str(tmp_path / "target.pub")))
    assert result.exit_code == 0, (result.output, result.exception)
    out = tmp_path / "state.bin"
    dump = sorted(net.store.glob("*-3.kcd"))[0]
    result = invoke(recover, ["finish", "--target-secret", str(tmp_path / "target.key"), "--package",
                              str(package), "--dump", str(dump), "-o", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.read_bytes() == net.payloads[-1]
    assert releases(net.council.base / "m1")[-1]["target_bound"] is True
