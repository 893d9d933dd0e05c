"""Sealers in the council log, in-process members: `log set-policy` / `log admit-sealer` wait for
each member's operator and then admit; a sealer the log does not admit (or revoked) gets no
release, whatever the member's local files say; a local admission file narrows the logged policy;
`dumps.app.Publisher` with `LogAnnouncer` announces each version and reads the chain head back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from net_helpers import APP, KEY, NAMES, invoke, seal_versions, write_release_policy
from node_helpers import Council

from cli.main import _register, cli
from council.attestation.policy import Policy, set_options, write_policy
from council.bundle import KeyBundle
from council.driver.announce import LogAnnouncer
from council.driver.ceremony import run_dkg
from council.driver.log_client import LogClient
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.node.log_book import folder_logbook
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.storage.files import write_atomic
from dumps import app
from dumps.sealer import SealingIdentity
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient
from recovery.log_ledger import LogLedger

pytestmark = pytest.mark.timeout(120)
FAST = Timing(5.0, 0.0)
_register()


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path)
    try:
        c.add_members(*NAMES)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            write_release_policy(c.base / n)
            c.serve(n, "r1")
        dkg = run_dkg(roster, KEY, c.op(), FAST)
        assert dkg.committed and dkg.bundle is not None
        write_atomic(tmp_path / "bundle.json", dkg.bundle.dumps().encode())
        yield c
    finally:
        c.close()


def _log(c: Council, *args: str) -> dict[str, object]:
    result = invoke(cli, ["log", *args, "--key-id", KEY, "--roster", str(c.roster_files["r1"]),
                          "--operator", str(c.op().path), "--json", "--retry-window", "0"])
    return json.loads(result.output)  # type: ignore[no-any-return]


def _approve_all(c: Council, entry_id: str) -> None:
    for n in NAMES:
        folder_logbook(c.base / n).operator_approve(entry_id)


def _request(c: Council, store: Path) -> RecoveryRequest:
    chosen = choose_dump(store, APP)
    request = sign_request(c.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                           dump_version=chosen.version, created_unix_ms=int(time.time() * 1000))
    LogLedger(c.roster("r1", 2, NAMES), c.op(), FAST).record_request(request, 10)
    return request


def test_admission_through_the_log_then_revocation(council: Council, tmp_path: Path) -> None:
    c = council
    sealer = SealingIdentity.simulated()
    sealer.save(tmp_path / "signer")
    seal_versions(tmp_path / "store", KeyBundle.load(tmp_path / "bundle.json"), [b"one"], sealer)
    client = GrpcMemberClient(c.roster("r1", 2, NAMES), c.op(), wait_seconds=3)
    try:
        with pytest.raises(PolicyRefused, match="simulated TEEs are not allowed|not admitted in key appkey"):
            client.decrypt(1, _request(c, tmp_path / "store"))          # local files allow it; the log does not

        write_policy(tmp_path / "policy.json", set_options(Policy(), simulated=True))
        first = _log(c, "set-policy", "--policy", str(tmp_path / "policy.json"))
        assert not first["accepted"] and all(str(v).startswith("pending") for v in first["missing"].values())
        _approve_all(c, str(first["id"]))
        assert _log(c, "set-policy", "--policy", str(tmp_path / "policy.json"))["accepted"]

        admitted = _log(c, "admit-sealer", "--signer", str(tmp_path / "signer"))
        assert admitted["kind"] == "sealer-admitted" and not admitted["accepted"]
        _approve_all(c, str(admitted["id"]))
        assert _log(c, "admit-sealer", "--signer", str(tmp_path / "signer"))["accepted"]
        assert client.decrypt(1, _request(c, tmp_path / "store")).index == 1

        write_policy(c.base / "m2" / "admission.json", Policy())          # m2's local file narrows
        with pytest.raises(PolicyRefused, match="m2: .*simulated evidence is not allowed"):
            client.decrypt(2, _request(c, tmp_path / "store"))

        revoked = _log(c, "revoke-sealer", "--sealer-key", sealer.public_key.hex(), "--reason", "key leaked")
        assert revoked["accepted"]                                        # narrowing: no operator needed
        with pytest.raises(PolicyRefused, match="m3: .*was revoked at log entry .*key leaked"):
            client.decrypt(3, _request(c, tmp_path / "store"))
    finally:
        client.close()


def test_publisher_announces_through_the_log(council: Council, tmp_path: Path) -> None:
    c = council
    sealer = SealingIdentity.simulated()
    roster = c.roster("r1", 2, NAMES)
    c.admit_sealer(roster, KEY, sealer)
    announcer = LogAnnouncer(roster, KEY, sealer, c.op(), FAST)
    (tmp_path / "store").mkdir()
    (tmp_path / "other").mkdir()
    store = app.open_store(str(tmp_path / "store"))
    publisher = app.Publisher(store, app.load_target(tmp_path / "bundle.json"), sealer, APP, announce=announcer)
    first, second = publisher.publish(b"one"), publisher.publish(b"two")
    assert (first.version, second.version) == (1, 2)
    head = announcer.latest(APP)
    assert head is not None and (head.version, head.digest) == (2, second.digest)
    with LogClient(roster.members, c.op(), FAST) as log:
        state, _ = log.read(KEY)
    assert state.newest(APP) is not None and state.newest(APP).chain()[0].digest == first.digest  # type: ignore[union-attr]
    again = app.Publisher(store, app.load_target(tmp_path / "bundle.json"), sealer, APP, announce=announcer)
    assert again.head() is not None and again.head().version == 2  # type: ignore[union-attr]

    stranger = SealingIdentity.simulated()                               # not admitted: members refuse
    other = app.Publisher(app.open_store(str(tmp_path / "other")), app.load_target(tmp_path / "bundle.json"),
                          stranger, "other-app", announce=LogAnnouncer(roster, KEY, stranger, c.op(), FAST))
    with pytest.raises(app.KeycouncilError, match="is not announced: .*is not admitted in this log"):
        other.publish(b"x")
