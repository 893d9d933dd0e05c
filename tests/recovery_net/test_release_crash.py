"""The release log's group commit under a crash (issue #14 item 4): a member process that loses
power while a batch of releases is written but not yet fsynced (tests/node/crashing_member.py,
`release-written@N`: the unsynced tail is cut off, then SIGKILL) has sent no share whose record
did not survive; restarted, it answers from the surviving log alone (released once, never twice).
The checks still refuse under concurrent load with the group commit: a policy that forbids the
sealer, and a sealer the log never admitted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from net_helpers import APP, KEY, releases, seal_versions, write_release_policy
from node_helpers import Council

from council.crypto.decryption import DecryptionShare, ShareClaim, failing_claims
from council.crypto.group import Point
from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from council.errors import PeerUnavailable, PolicyRefused
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.protocol.shares import context_of
from council.roster import Roster
from dumps.sealer import SealingIdentity
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient, fetch_council
from recovery.log_ledger import LogLedger

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
FAST = Timing(call_timeout=20, retry_window=1)
NAMES = ["m1", "m2", "m3"]
IN_FLIGHT = 24


@dataclass
class Cluster:
    c: Council
    roster: Roster
    y1: Point
    """member 1's verification share"""

    def requests(self, k: int, store: str = "store") -> list[RecoveryRequest]:
        """`k` distinct requests for the newest dump in `store`, each accepted in the key's log."""
        chosen = choose_dump(self.c.base / store, APP)
        out = [sign_request(self.c.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                            dump_version=chosen.version, created_unix_ms=int(time.time() * 1000)) for _ in range(k)]
        with LogLedger(self.roster, self.c.op(), FAST) as ledger:
            for r in out:
                ledger.record_request(r, 30)
        return out

    def ask_all(self, requests: list[RecoveryRequest]) -> dict[str, DecryptionShare | str]:
        """Member 1's answer to each request, all sent at once (IN_FLIGHT calls outstanding)."""
        client = GrpcMemberClient(self.roster, self.c.op(), wait_seconds=5)

        def ask(r: RecoveryRequest) -> tuple[str, DecryptionShare | str]:
            try:
                reply = client.decrypt(1, r)
                assert isinstance(reply, DecryptionShare)
                return r.id_hex, reply
            except (PolicyRefused, PeerUnavailable) as exc:
                return r.id_hex, f"{type(exc).__name__}: {exc}"
        try:
            with ThreadPoolExecutor(IN_FLIGHT) as pool:
                return dict(pool.map(ask, requests))
        finally:
            client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("crash")
    c = Council(base)
    try:
        c.add_members(*NAMES)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            write_release_policy(c.base / n)
        c.spawn("m1", "r1", crash_after="release-written@3")  # power cut at its third group commit
        for n in NAMES[1:]:
            c.spawn(n, "r1")
        c.wait_serving(NAMES)
        dkg = run_dkg(roster, KEY, c.op(), FAST)
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        sealer = SealingIdentity.simulated()
        c.admit_sealer(roster, KEY, sealer)
        seal_versions(base / "store", dkg.bundle, [b"state one"], sealer)
        seal_versions(base / "stranger", dkg.bundle, [b"state by a sealer never admitted"],
                      SealingIdentity.simulated())
        yield Cluster(c, roster, fetch_council(roster, KEY, c.op(), FAST).verification_shares[1])
    finally:
        c.close()


def _released_ids(folder: Path) -> list[str]:
    return [str(e["request_id"]) for e in releases(folder) if e["decision"] == "released"]


def test_power_cut_during_a_group_commit_leaves_no_share_without_its_durable_record(cluster: Cluster) -> None:
    c = cluster.c
    requests = cluster.requests(40)
    answers = cluster.ask_all(requests)
    proc = c.procs["m1"]
    assert proc.wait(20) == -9, "m1 did not die at its kill point"
    durable = _released_ids(c.base / "m1")
    shares = {rid: a for rid, a in answers.items() if isinstance(a, DecryptionShare)}
    assert shares, "no group commit completed before the kill point"
    assert len(shares) < len(requests), "every call answered: the kill point was never reached"
    assert set(shares) <= set(durable), "a share was sent whose release record did not survive"
    assert len(durable) == len(set(durable))
    by_id = {r.id_hex: r for r in requests}
    kem = requests[0].dump.verify().header.kem()
    y1 = cluster.y1
    assert failing_claims([ShareClaim(context_of(by_id[i]), kem, s, y1) for i, s in shares.items()]) == {}

    c.spawn("m1", "r1")  # restarted normally: the surviving log is all it knows
    c.wait_serving(["m1"])
    again = cluster.ask_all(requests)
    for rid, answer in again.items():
        if rid in durable:
            assert isinstance(answer, str) and "release.once" in answer, (rid, answer)
        else:
            assert isinstance(answer, DecryptionShare), (rid, answer)
    after = _released_ids(c.base / "m1")
    assert sorted(after) == sorted({r.id_hex for r in requests}), "each request released exactly once"


def test_checks_still_refuse_under_concurrent_load(cluster: Cluster) -> None:
    """A policy that forbids simulated sealers refuses every one of many concurrent requests, and
    so does an admitted policy for a sealer the log never admitted; nothing is released."""
    c = cluster.c
    if c.procs.get("m1") is None or c.procs["m1"].poll() is not None:
        c.spawn("m1", "r1")
        c.wait_serving(["m1"])
    write_release_policy(c.base / "m1", allow_simulated=False)
    before = len(_released_ids(c.base / "m1"))
    answers = cluster.ask_all(cluster.requests(12))
    assert all(isinstance(a, str) and "allow_simulated = false" in a for a in answers.values()), answers
    write_release_policy(c.base / "m1")
    answers = cluster.ask_all(cluster.requests(12, store="stranger"))
    assert all(isinstance(a, str) and "not admitted in key" in a for a in answers.values()), answers
    assert len(_released_ids(c.base / "m1")) == before


def test_a_bad_share_is_caught_by_the_callers_batch_check_and_named(cluster: Cluster) -> None:
    """The shares of many requests checked as one batch: a share proven for another request fails
    it, and failing_claims names exactly that one."""
    c = cluster.c
    if c.procs.get("m1") is None or c.procs["m1"].poll() is not None:
        c.spawn("m1", "r1")
        c.wait_serving(["m1"])
    requests = cluster.requests(8)
    answers = cluster.ask_all(requests)
    kem = requests[0].dump.verify().header.kem()
    y1 = cluster.y1
    claims = []
    for r in requests:
        share = answers[r.id_hex]
        assert isinstance(share, DecryptionShare), share
        claims.append(ShareClaim(context_of(r), kem, share, y1))
    assert failing_claims(claims) == {}
    claims[5] = ShareClaim(claims[5].ctx, kem, claims[4].share, y1)  # request 4's share offered for request 5
    bad = failing_claims(claims)
    assert list(bad) == [5] and "member 1" in bad[5]

