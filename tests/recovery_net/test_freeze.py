"""One member's freeze through the council log, with member processes and the CLI (issue 2/7):
`policy freeze --member DIR` is in effect on that member at once (its next release and its next
admission of a sealer are refused, even before the entry is accepted), and is appended for the
rest; `policy unfreeze` widens, so it needs t approvals: with fewer the members stay frozen."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from net_helpers import APP, KEY, Proc, keycouncil, seal_versions, write_release_policy
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.node.log_book import folder_logbook
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.roster import Roster
from dumps.sealer import SealingIdentity
from dumps.sealer_card import SealerCard
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient
from recovery.log_ledger import LogLedger

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
FAST = Timing(call_timeout=10, retry_window=1)
NAMES = ["m1", "m2", "m3"]


@dataclass
class Net:
    c: Council
    roster: Roster

    def request(self) -> RecoveryRequest:
        """A fresh request for the newest dump, accepted in the log (governance auto-approves)."""
        chosen = choose_dump(self.c.base / "store", APP)
        request = sign_request(self.c.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference,
                               app_id=APP, dump_version=chosen.version, created_unix_ms=int(time.time() * 1000))
        LogLedger(self.roster, self.c.op(), FAST).record_request(request, 10)
        return request

    def cli(self, *args: str) -> Proc:
        return keycouncil(*args, "--key-id", KEY, "--roster", str(self.c.roster_files["r1"]), "--retry-window", "0.5")


@pytest.fixture
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    base = tmp_path_factory.mktemp("freeze")
    c = Council(base)
    try:
        c.add_members(*NAMES)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            write_release_policy(c.base / n)
            c.spawn(n, "r1")
        c.wait_serving(NAMES)
        dkg = run_dkg(roster, KEY, c.op(), FAST)
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        sealer = SealingIdentity.simulated()
        c.admit_sealer(roster, KEY, sealer)
        seal_versions(base / "store", dkg.bundle, [b"state"], sealer)
        yield Net(c, roster)
    finally:
        c.close()


def test_one_members_freeze_at_once_and_unfreeze_needs_t(net: Net, tmp_path_factory: pytest.TempPathFactory) -> None:
    c = net.c
    client = GrpcMemberClient(net.roster, c.op(), wait_seconds=3)
    try:
        assert client.decrypt(1, net.request()).index == 1          # m1 releases before the freeze
        request = net.request()
        c.kill("m2"), c.kill("m3")                                   # m1 alone: the entry cannot be accepted
        p = net.cli("policy", "freeze", "--member", str(c.base / "m1"), "--reason", "TCB day: INTEL-SA-00999")
        assert p.code == 0, p.err
        assert "member m1: frozen at once" in p.out and "NOT accepted" in p.out, p.out
        with pytest.raises(PolicyRefused, match="m1: .*admissions are frozen .*TCB day"):
            client.decrypt(1, request)                               # the next release on m1: refused at once
        card = tmp_path_factory.mktemp("card") / "card.json"
        card.write_text(json.dumps(SealerCard.of(SealingIdentity.simulated()).to_json()))
        admit = ("log", "admit-sealer", "--sealer-card", str(card), "--operator", str(c.op().path), "--json")
        p = net.cli(*admit)
        assert p.code == 1 and json.loads(p.out)["missing"]["m1"].startswith("refused"), p.out

        for n in ("m2", "m3"):
            c.spawn(n, "r1")
        c.wait_serving(["m2", "m3"])
        assert client.decrypt(2, request).index == 2                 # m2 has not seen the freeze yet
        p = net.cli("policy", "freeze", "--member", str(c.base / "m1"), "--reason", "TCB day: INTEL-SA-00999")
        assert p.code == 0 and "ACCEPTED" in p.out, p.out            # the same entry, appended for the rest
        with pytest.raises(PolicyRefused, match="m3: .*admissions are frozen"):
            client.decrypt(3, net.request())
        p = net.cli(*admit)                                          # the next admission: refused by all
        answers = json.loads(p.out)["missing"]
        assert p.code == 1 and all("admissions are frozen" in answers[n] for n in NAMES), answers

        op = ("--operator", str(c.op().path))
        p = net.cli("policy", "unfreeze", "--reason", "patched", *op, "--json")
        report = json.loads(p.out)
        assert p.code == 1 and not report["accepted"] and report["approved_by"] == [], p.out
        folder_logbook(c.base / "m1").operator_approve(report["id"])   # one operator of three: 1 < t
        p = net.cli("policy", "unfreeze", "--reason", "patched", *op, "--json")
        assert p.code == 1 and json.loads(p.out)["approved_by"] == ["m1"], p.out
        with pytest.raises(PolicyRefused, match="m1: .*admissions are frozen"):
            client.decrypt(1, net.request())                         # still frozen: the lift is not accepted
        # the request above moved the log's head: the lift is proposed again as a new entry, and
        # each operator approves that one (an approval is for one entry at one sequence number)
        p = net.cli("policy", "unfreeze", "--reason", "patched", *op, "--json")
        report = json.loads(p.out)
        assert p.code == 1 and report["approved_by"] == [], p.out
        for n in ("m1", "m2"):
            approved = keycouncil("member", "approve", str(c.base / n), report["id"])
            assert approved.code == 0, approved.err
        p = net.cli("policy", "unfreeze", "--reason", "patched", *op)
        assert p.code == 0 and "ACCEPTED (approved by m1, m2)" in p.out, p.out
        assert client.decrypt(1, net.request()).index == 1           # lifted by t: m1 releases again
    finally:
        client.close()
