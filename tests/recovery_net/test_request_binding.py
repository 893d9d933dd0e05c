"""A release is bound to the request the log accepted and to the operator that signed it
(decision 138), against member processes with two operators in the roster. Before, the request
id alone tied a release to the log: operator A could sign its own request with operator B's
accepted request id (same dump, no target) and collect the plaintext shares with its own
certificate, and anyone holding B's signed request (a member sees every one) could send it with
another operator's certificate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from net_helpers import APP, KEY, seal_versions, write_release_policy
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.operator import OperatorFolder
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.protocol.shares import DecryptionShare
from council.roster import Roster
from council.storage.folders import write_json
from dumps.sealer import SealingIdentity
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient
from recovery.log_ledger import LogLedger

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
FAST = Timing(call_timeout=10, retry_window=1)
NAMES = ["m1", "m2", "m3"]


@dataclass
class TwoOperators:
    c: Council
    roster: Roster
    a: OperatorFolder

    def request(self, signer: OperatorFolder, request_id: bytes | None = None) -> RecoveryRequest:
        chosen = choose_dump(self.c.base / "store", APP)
        return sign_request(signer.identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                            dump_version=chosen.version, created_unix_ms=int(time.time() * 1000),
                            **({"request_id": request_id} if request_id is not None else {}))

    def answers(self, caller: OperatorFolder, request: RecoveryRequest) -> list[object]:
        client = GrpcMemberClient(self.roster, caller, wait_seconds=3)
        out: list[object] = []
        try:
            for index in (1, 2, 3):
                try:
                    out.append(client.decrypt(index, request))
                except PolicyRefused as exc:
                    out.append(str(exc))
        finally:
            client.close()
        return out


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoOperators]:
    base = tmp_path_factory.mktemp("two-operators")
    c = Council(base)
    try:
        c.add_members(*NAMES)
        b, a = c.op(), OperatorFolder.init(base / "operator-a", "opA", None)
        roster = Roster(2, tuple(c.members[n].card() for n in NAMES), (b.card(), a.card()))
        path = base / "roster-r1.json"
        write_json(path, roster.to_json())
        c.roster_files["r1"] = path
        for n in NAMES:
            write_release_policy(c.base / n)
            c.spawn(n, "r1")
        c.wait_serving(NAMES)
        dkg = run_dkg(roster, KEY, b, FAST)
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        sealer = SealingIdentity.simulated()
        c.admit_sealer(roster, KEY, sealer)
        seal_versions(base / "store", dkg.bundle, [b"state one", b"state two"], sealer)
        yield TwoOperators(c, roster, a)
    finally:
        c.close()


def test_another_operator_cannot_reuse_an_accepted_request_id(two: TwoOperators) -> None:
    b = two.c.op()
    accepted = two.request(b)
    LogLedger(two.roster, b, FAST).record_request(accepted, 20)
    hijack = two.request(two.a, request_id=accepted.request_id)  # A's own signature, B's request id
    refused = two.answers(two.a, hijack)
    assert all(isinstance(r, str) and "release.matches-log" in r for r in refused), refused
    assert all(isinstance(r, DecryptionShare) for r in two.answers(b, accepted)), "B's own request still works"


def test_a_signed_request_is_answered_only_to_the_operator_that_signed_it(two: TwoOperators) -> None:
    b = two.c.op()
    accepted = two.request(b)
    LogLedger(two.roster, b, FAST).record_request(accepted, 20)
    replayed = two.answers(two.a, accepted)  # B's exact bytes, sent with A's certificate
    assert all(isinstance(r, str) and "release.caller-signed" in r for r in replayed), replayed
    assert all(isinstance(r, DecryptionShare) for r in two.answers(b, accepted))
