"""A dump sealed to another council's key of the same key id (issue 3/7, defect 3): `dump verify
--bundle` refuses it, members refuse to release for it, `recover` skips it with the reason and
falls back to the newest dump sealed to this council's key."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from net_helpers import APP, KEY, NAMES, invoke, releases, seal_versions, write_release_policy
from node_helpers import Council
from recovery_helpers import foreign_bundle

from cli.dump import dump
from cli.recover import recover
from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.protocol.recovery_request import sign_request
from council.storage.folders import load_roster
from dumps.seal import seal_stream
from dumps.sealer import SealingIdentity
from dumps.target import SealTarget
from dumps.verify import verify_dump
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient
from recovery.log_ledger import LogLedger

pytestmark = pytest.mark.timeout(90)


@dataclass
class World:
    council: Council
    bundle_file: Path
    store: Path
    payloads: list[bytes]
    foreign: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("foreign")
    c = Council(base)
    try:
        c.add_members(*NAMES)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            c.serve(n, "r1")
            write_release_policy(base / n)
        dkg = run_dkg(roster, KEY, c.op(), Timing(call_timeout=20, retry_window=2))
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        sealer = SealingIdentity.simulated()
        c.admit_sealer(roster, KEY, sealer)  # members release only for a sealer admitted in the log (2/7)
        payloads = [os.urandom(3000 + k) for k in range(2)]
        paths = seal_versions(base / "store", dkg.bundle, payloads, sealer)
        foreign = base / "store" / f"{APP}-3.kcd"  # the same sealer, chained, newest: only the key differs
        with open(foreign, "wb") as sink:
            seal_stream(io.BytesIO(b"not ours"), sink, target=SealTarget.from_bundle(foreign_bundle(KEY, 0)),
                        sealer=sealer, app_id=APP, dump_version=3,
                        previous_digest=verify_dump(paths[-1]).digest, chunk_size=4096)
        bundle_file = base / "bundle.json"
        bundle_file.write_text(dkg.bundle.dumps())
        yield World(c, bundle_file, base / "store", payloads, foreign)
    finally:
        c.close()


def test_dump_verify_with_the_bundle_refuses_another_councils_key(world: World) -> None:
    result = CliRunner().invoke(dump, ["verify", str(world.foreign), "--bundle", str(world.bundle_file)])
    assert result.exit_code != 0, result.output
    assert "another council" in str(result.exception), result.exception
    ours = CliRunner().invoke(dump, ["verify", str(world.store / f"{APP}-2.kcd"), "--bundle", str(world.bundle_file)])
    assert ours.exit_code == 0 and "authentic" in ours.output, (ours.output, ours.exception)


def test_members_refuse_to_release_for_another_councils_key(world: World) -> None:
    c = world.council
    chosen = choose_dump(world.store, APP, 3)
    request = sign_request(c.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                           dump_version=3, created_unix_ms=int(time.time() * 1000))
    LogLedger(load_roster(c.roster_files["r1"]), c.op(), Timing(5.0, 0.0)).record_request(request, 10)
    client = GrpcMemberClient(load_roster(c.roster_files["r1"]), c.op(), wait_seconds=5)
    try:
        for i, name in enumerate(NAMES, start=1):
            with pytest.raises(PolicyRefused, match="another council"):
                client.decrypt(i, request)
            assert releases(c.base / name)[-1]["decision"] == "refused"
    finally:
        client.close()


def test_recover_skips_it_and_falls_back(world: World, tmp_path: Path) -> None:
    c = world.council
    out = tmp_path / "state.bin"
    result = invoke(recover, ["--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path),
                              "--store", str(world.store), "--app", APP, "-o", str(out), "--deadline", "10"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.read_bytes() == world.payloads[-1]
    assert f"skipped {APP}-3.kcd: " in result.output and "another council" in result.output, result.output
