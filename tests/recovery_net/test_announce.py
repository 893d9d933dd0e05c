"""Dump announcements decide the newest version (issue 2/7), with member processes and the CLI:
rollback by omission (the newest announced dump deleted, or one byte flipped) stops `recover`
naming the version, its digest and why; `--allow-older` recovers the previous version and the
council log records that decision (an older-dump-allowed entry with t approvals)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from net_helpers import APP, KEY, Proc, keycouncil, write_release_policy
from node_helpers import Council

from council.driver.ceremony import run_dkg
from council.driver.client import Failure
from council.driver.log_client import LogClient, operator_entry
from council.driver.phases import Timing
from council.log import Kind, LogState, OlderDumpAllowed, ReleaseStatement, SharesReleased
from council.storage.files import write_atomic
from dumps.sealer import SealingIdentity

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
FAST = Timing(call_timeout=20, retry_window=2)
NAMES = ["m1", "m2", "m3"]
Announced = tuple[Council, list[bytes], list[str]]


@pytest.fixture
def announced(tmp_path: Path) -> Iterator[Announced]:
    """Three member processes (t = 2), a simulated sealer admitted in the log, three dumps sealed
    and announced with `dump seal --announce`; yields the council, payloads and dump digests."""
    c = Council(tmp_path)
    try:
        c.add_members(*NAMES)
        roster = c.roster("r1", 2, NAMES)
        for n in NAMES:
            write_release_policy(c.base / n)
            c.spawn(n, "r1")
        c.wait_serving(NAMES)
        dkg = run_dkg(roster, KEY, c.op(), FAST)
        assert dkg.committed and dkg.bundle is not None, dkg.lines()
        write_atomic(tmp_path / "bundle.json", dkg.bundle.dumps().encode())
        sealer = SealingIdentity.simulated()
        sealer.save(tmp_path / "signer")
        c.admit_sealer(roster, KEY, sealer)
        payloads, digests = [os.urandom(3000 + k) for k in range(3)], []
        (tmp_path / "store").mkdir()
        for k, data in enumerate(payloads, start=1):
            (tmp_path / f"state-{k}.bin").write_bytes(data)
            p = keycouncil("dump", "seal", "--bundle", str(tmp_path / "bundle.json"), "--signer",
                           str(tmp_path / "signer"), "--app", APP, "--version", str(k), str(tmp_path / f"state-{k}.bin"),
                           "-o", str(tmp_path / "store" / f"{APP}-v{k}.kcdump"), "--announce",
                           "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path))
            assert p.code == 0, p.err
            assert f"announced {APP} version {k}" in p.out, p.out
            digests.append(p.out.split("digest ")[1].split()[0])
        yield c, payloads, digests
    finally:
        c.close()


def _recover(c: Council, out: Path, *extra: str) -> Proc:
    return keycouncil("recover", "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path),
                      "--store", str(c.base / "store"), "--app", APP, "-o", str(out), "--deadline", "20", *extra)


def _log_kinds(c: Council) -> list[Kind]:
    with LogClient(c.roster("r1", 2, NAMES).members, c.op(), FAST) as client:
        _, records = client.read(KEY)
    return [r.entry.kind for r in records]


def test_newest_announced_deleted_stops_then_allow_older_is_logged(announced: Announced, tmp_path: Path) -> None:
    c, payloads, digests = announced
    newest = c.base / "store" / f"{APP}-v3.kcdump"
    newest.unlink()                                                         # rollback by omission
    out = tmp_path / "out.bin"
    p = _recover(c, out)
    assert p.code == 1 and not out.exists(), p.err
    line = p.err.strip().splitlines()[-1]
    assert f"the newest announced dump of {APP} is version 3 (digest {digests[2]}" in line, line
    assert "it is missing" in line and "--allow-older" in line, line

    p = _recover(c, out, "--allow-older")
    assert p.code == 0, p.err
    assert out.read_bytes() == payloads[1]                                  # version 2
    assert "OLDER than the newest announced version 3" in p.out
    assert "older-dump-allowed" in p.err and "ACCEPTED" in p.err
    with LogClient(c.roster("r1", 2, NAMES).members, c.op(), FAST) as client:
        state, records = client.read(KEY)
    older = [r for r in records if r.entry.kind is Kind.OLDER_DUMP_ALLOWED]
    assert len(older) == 1 and len(older[0].approvals) >= 2
    body = older[0].entry.body
    assert isinstance(body, OlderDumpAllowed)
    assert (body.skipped_version, body.skipped_digest.hex(), body.used_version) == (3, digests[2], 2)
    assert body.used_digest.hex() == digests[1]
    kinds = [r.entry.kind for r in records]
    assert kinds.index(Kind.OLDER_DUMP_ALLOWED) < kinds.index(Kind.RECOVERY_REQUESTED)
    assert kinds.count(Kind.SHARES_RELEASED) == 1 and kinds.count(Kind.DUMP_ANNOUNCED) == 3  # t = 2 releases, one entry
    assert [len(v) for v in state.releases.values()] == [2]
    _statements_only_for_own_releases(c, state)


def _statements_only_for_own_releases(c: Council, state: LogState) -> None:
    """A member signs a release statement only for a request its own release log holds (any other
    request id is refused); a statement given again cannot record that member twice. (The coordinator
    asked all three; the one whose share was not used released too, so it signs, unrecorded.)"""
    (rid, released), = state.releases.items()
    roster = c.roster("r1", 2, NAMES)
    with LogClient(roster.members, c.op(), FAST) as client:
        for card in roster.members:
            got = client.release_statement(card, KEY, rid)
            if card.signing_key in released:
                assert isinstance(got, ReleaseStatement)
                report = client.append(state, operator_entry(c.op(), state, SharesReleased.of(rid, [got])))
                assert not report.accepted and all("release.once" in a for a in report.answers.values()), report.answers
            else:
                assert isinstance(got, ReleaseStatement), got
            other = client.release_statement(card, KEY, b"x" * 16)
            assert isinstance(other, Failure) and "released no share" in str(other), other


def test_newest_announced_with_a_flipped_byte_stops_naming_it(announced: Announced, tmp_path: Path) -> None:
    c, payloads, digests = announced
    newest = c.base / "store" / f"{APP}-v3.kcdump"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0x01
    newest.write_bytes(bytes(data))
    out = tmp_path / "out.bin"
    p = _recover(c, out)
    assert p.code == 1 and not out.exists(), p.err
    line = p.err.strip().splitlines()[-1]
    assert f"is version 3 (digest {digests[2]}" in line, line
    assert f"does not verify: {APP}-v3.kcdump: not authentic" in line, line
    p = _recover(c, out, "--allow-older")
    assert p.code == 0 and out.read_bytes() == payloads[1], p.err
    assert Kind.OLDER_DUMP_ALLOWED in _log_kinds(c)


def test_intact_store_recovers_the_newest_announced(announced: Announced, tmp_path: Path) -> None:
    c, payloads, _ = announced
    out = tmp_path / "out.bin"
    p = _recover(c, out)
    assert p.code == 0 and out.read_bytes() == payloads[2], p.err
    assert "OLDER" not in p.out and Kind.OLDER_DUMP_ALLOWED not in _log_kinds(c)
