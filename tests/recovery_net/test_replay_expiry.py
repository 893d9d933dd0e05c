"""Replay and expiry of recovery requests against member processes (issue 2/7, "Must show"):
the same request bytes release once per member (sent 200 times, concurrently); a request that is
not in the log, one already expired when proposed, and one that expired since it was accepted are
refused; one approval covers one request (approving A on every member releases nothing for B)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from net_helpers import APP, KEY, keycouncil, releases, seal_versions, write_release_policy
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.log_client import LogClient, operator_entry
from council.driver.phases import Timing
from council.errors import PolicyRefused
from council.node.log_book import folder_logbook
from council.protocol.errors import RecoveryFailed
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.roster import Roster
from dumps.sealer import SealingIdentity
from recovery.choose import choose_dump
from recovery.grpc_client import GrpcMemberClient
from recovery.log_ledger import LogLedger

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
FAST = Timing(call_timeout=10, retry_window=1)
NAMES = ["m1", "m2", "m3"]
HOUR_MS = 3_600_000


@dataclass
class Manual:
    """Member processes whose operators approve every widening entry themselves (no governance)."""

    c: Council
    roster: Roster

    def request(self, created_ms: int | None = None) -> RecoveryRequest:
        chosen = choose_dump(self.c.base / "store", APP)
        return sign_request(self.c.op().identity.signer, key_id=KEY, epoch=0, dump=chosen.reference, app_id=APP,
                            dump_version=chosen.version, created_unix_ms=created_ms or int(time.time() * 1000))

    def approve_all(self, names: list[str] | None = None) -> None:
        """Each member's operator approves whatever waits (what `member approve DIR ID` does)."""
        for n in names or NAMES:
            book = folder_logbook(self.c.base / n)
            for entry in book.pending():
                book.operator_approve(entry.id)

    def log(self, request: RecoveryRequest, lifetime_ms: int = HOUR_MS) -> None:
        """Propose the request, have every operator approve it, wait until it is accepted."""
        ledger = LogLedger(self.roster, self.c.op(), FAST, lifetime_ms)
        worker = threading.Thread(target=ledger.record_request, args=(request, 20))
        worker.start()
        deadline = time.monotonic() + 20
        while worker.is_alive() and time.monotonic() < deadline:
            self.approve_all()
            worker.join(0.2)
        assert not worker.is_alive()

    def client(self) -> GrpcMemberClient:
        return GrpcMemberClient(self.roster, self.c.op(), wait_seconds=3)


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Manual]:
    base = tmp_path_factory.mktemp("manual")
    c = Council(base)
    try:
        c.add_members(*NAMES, governance=None)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            write_release_policy(c.base / n)
            c.spawn(n, "r1")
        c.wait_serving(NAMES)
        dkg = run_dkg(roster, KEY, c.op(), FAST)
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        sealer = SealingIdentity.simulated()
        c.admit_sealer(roster, KEY, sealer)
        seal_versions(base / "store", dkg.bundle, [b"state one", b"state two"], sealer)
        yield Manual(c, roster)
    finally:
        c.close()


def _released(c: Council, name: str, request: RecoveryRequest) -> int:
    return sum(1 for e in releases(c.base / name) if e["decision"] == "released" and e["request_id"] == request.id_hex)


def test_same_request_bytes_release_once_per_member(manual: Manual) -> None:
    request = manual.request()
    manual.log(request)
    client = manual.client()
    outcomes: dict[int, list[str]] = {1: [], 2: [], 3: []}

    def ask(index: int) -> None:
        try:
            client.decrypt(index, request)
            outcomes[index].append("released")
        except PolicyRefused as exc:
            outcomes[index].append(str(exc))

    try:
        with ThreadPoolExecutor(8) as pool:                        # 200 times, concurrently
            list(pool.map(ask, [1 + k % 3 for k in range(200)]))
    finally:
        client.close()
    for index, name in enumerate(NAMES, start=1):
        assert outcomes[index].count("released") == 1, outcomes[index][:3]
        assert all("already released its share" in o and "release.once" in o
                   for o in outcomes[index] if o != "released"), outcomes[index][:3]
        assert _released(manual.c, name, request) == 1


def test_request_not_in_the_log_is_refused(manual: Manual) -> None:
    request = manual.request()
    client = manual.client()
    try:
        for index in (1, 2, 3):
            with pytest.raises(PolicyRefused, match="is not an accepted entry of key appkey's log"):
                client.decrypt(index, request)
    finally:
        client.close()


def test_expired_request_is_refused_at_approval_and_at_release(manual: Manual) -> None:
    c = manual.c
    created = int(time.time() * 1000) - 2 * HOUR_MS                 # expired an hour ago
    stale = manual.request(created)
    ledger = LogLedger(manual.roster, c.op(), FAST)
    with LogClient(manual.roster.members, c.op(), FAST) as log:
        state, _ = log.read(KEY)
        report = log.append(state, operator_entry(c.op(), state, ledger.body(stale)))
    assert not report.accepted
    assert sum("refused" in a and "already expired" in a for a in report.answers.values()) == 3, report.answers
    with pytest.raises(RecoveryFailed, match="not accepted in the council log"):
        ledger.record_request(stale, 2)

    short = manual.request()                                        # accepted, then expires
    manual.log(short, lifetime_ms=4000)
    while int(time.time() * 1000) < short.created_unix_ms + 4000:
        time.sleep(0.2)
    client = manual.client()
    try:
        for index in (1, 2):
            with pytest.raises(PolicyRefused, match=f"request {short.id_hex} expired at .*release.expired"):
                client.decrypt(index, short)
    finally:
        client.close()
    assert _released(c, "m1", short) == 0


def test_one_approval_covers_one_request(manual: Manual) -> None:
    c = manual.c
    a, b = manual.request(), manual.request()
    manual.log(a)                                                   # every operator approved A
    ledger = LogLedger(manual.roster, c.op(), FAST)
    with LogClient(manual.roster.members, c.op(), FAST) as log:
        state, _ = log.read(KEY)
        report = log.append(state, operator_entry(c.op(), state, ledger.body(b)))
    assert not report.accepted and all(v.startswith("pending") for v in report.answers.values()), report.answers
    client = manual.client()
    try:
        for index in (1, 2, 3):
            with pytest.raises(PolicyRefused, match=f"request {b.id_hex} is not an accepted entry"):
                client.decrypt(index, b)
        assert client.decrypt(1, a).index == 1
    finally:
        client.close()
    listing = keycouncil("member", "pending", str(c.base / "m1"))
    assert listing.code == 0 and "recovery-requested" in listing.out, (listing.out, listing.err)
