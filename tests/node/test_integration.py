"""Integration: real gRPC servers (mutual TLS) on 127.0.0.1, one member offline in every ceremony.

DKG n=5 t=3 → re-share 5→7 (t 3→5) → 7→4 (t 5→3) → a disjoint committee; the public key never
changes, and the new epoch's shares, read back from the data folders, decapsulate on their own.
"""

from __future__ import annotations

from node_helpers import Council

from council.driver.catchup import run_catch_up
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.driver.query import fetch_bundle

FAST = Timing(call_timeout=20, retry_window=0.3)


def test_dkg_and_three_reshares_each_with_one_member_offline(council: Council) -> None:
    c = council
    c.add_members("m1", "m2", "m3", "m4", "m5", "m6", "m7", "n1", "n2", "n3", "n4", "n5")
    r1 = c.roster("r1", 3, ["m1", "m2", "m3", "m4", "m5"])
    for n in ["m1", "m2", "m3", "m4"]:
        c.serve(n, "r1")

    # DKG n=5, t=3; m5 offline.
    dkg = run_dkg(r1, "app", c.op(), FAST)
    assert dkg.committed, dkg.lines()
    assert set(dkg.missing) == {"m5"} and "member 5 (m5)" in dkg.disqualified
    y = dkg.bundle.public_key
    assert c.decapsulates("app", 0, r1, ["m1", "m3", "m4"], y)

    # Re-share 5 → 7, t 3 → 5; m2 offline (m5 now online, holding no share: a receiver only).
    r2 = c.roster("r2", 5, ["m1", "m2", "m3", "m4", "m5", "m6", "m7"])
    c.stop("m2")
    for n in ["m5", "m6", "m7"]:
        c.serve(n, "r2")
    rs1 = run_reshare(r1, r2, "app", c.op(), FAST)
    assert rs1.committed, rs1.lines()
    assert set(rs1.missing) == {"m2"} and rs1.bundle.public_key == y
    assert c.decapsulates("app", 1, r2, ["m1", "m4", "m5", "m6", "m7"], y)
    assert not c.store("m1").record("app", 0).holds_share  # old share erased once committed
    assert not (c.members["m1"].path / "keys/app/0/share.sealed").exists()

    # m2 was offline: it catches up from the transcript and its share works.
    c.serve("m2", "r1")
    caught = run_catch_up(r2, "app", c.op(), FAST)
    assert caught["m2"] == "caught up to epoch 1", caught
    assert c.decapsulates("app", 1, r2, ["m2", "m3", "m5", "m6", "m7"], y)
    assert not (c.members["m2"].path / "keys/app/0/share.sealed").exists()

    # Re-share 7 → 4, t 5 → 3; m6 offline (5 dealers left: exactly t).
    r3 = c.roster("r3", 3, ["m1", "m3", "m4", "m7"])
    c.stop("m6")
    rs2 = run_reshare(r2, r3, "app", c.op(), FAST)
    assert rs2.committed, rs2.lines()
    assert set(rs2.missing) == {"m6"} and rs2.bundle.public_key == y
    assert c.decapsulates("app", 2, r3, ["m1", "m4", "m7"], y)
    assert not c.store("m5").record("app", 1).holds_share  # a member that left erased its share

    # m6 left the committee while offline: it still holds its epoch-1 share until it catches up.
    assert (c.members["m6"].path / "keys/app/1/share.sealed").exists()
    c.serve("m6", "r2")
    left = run_catch_up(r3, "app", c.op(), FAST, leaving=r2)
    assert left["m6"] == "at epoch 2 without a share; erased its old share", left
    assert not (c.members["m6"].path / "keys/app/1/share.sealed").exists()
    c.stop("m6")

    # A fully disjoint committee of 5, t=3; m7 offline among the dealers.
    r4 = c.roster("r4", 3, ["n1", "n2", "n3", "n4", "n5"])
    c.stop("m7")
    for n in ["n1", "n2", "n3", "n4", "n5"]:
        c.serve(n, "r4")
    rs3 = run_reshare(r3, r4, "app", c.op(), FAST)
    assert rs3.committed, rs3.lines()
    assert set(rs3.missing) == {"m7"} and rs3.bundle.public_key == y
    assert c.decapsulates("app", 3, r4, ["n2", "n4", "n5"], y)
    for old in ["m1", "m3", "m4"]:
        assert not c.store(old).record("app", 2).holds_share
    bundle = fetch_bundle(r4, "app", c.op(), FAST)
    assert bundle.epoch == 3 and bundle.public_key == y


def test_several_key_ids_per_council(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r")
    k1, k2 = run_dkg(r, "k1", c.op(), FAST), run_dkg(r, "k2", c.op(), FAST)
    assert k1.committed and k2.committed and k1.public_key != k2.public_key
    again = run_dkg(r, "k1", c.op(), FAST)
    assert not again.committed and "exists already" in " ".join(again.missing.values())
    assert c.decapsulates("k2", 0, r, ["a", "c"], k2.bundle.public_key)


def test_up_to_n_minus_t_offline_and_a_clean_abort(council: Council) -> None:
    c = council
    names = ["a", "b", "c", "d", "e"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 4, names)
    for n in ["a", "b", "c"]:
        c.serve(n, "r1")
    dkg = run_dkg(r1, "k", c.op(), FAST)  # n - t = 2 members offline: still a key
    assert dkg.committed and set(dkg.missing) == {"d", "e"}, dkg.lines()
    y = dkg.bundle.public_key

    c.stop("c")  # now only 2 of the 3 share holders are up: the re-share must abort
    for n in ["d", "e"]:
        c.serve(n, "r1")
    aborted = run_reshare(r1, r2, "k", c.op(), FAST)
    assert not aborted.committed and "2 dealings received, 3 needed" in aborted.failure
    assert "c" in aborted.missing
    assert c.decapsulates("k", 0, r1, ["a", "b", "c"], y)  # the old epoch is whole

    c.serve("c", "r1")
    assert c.servers["a"].node.status().ceremonies == (aborted.ceremony_id,)
    again = run_reshare(r1, r2, "k", c.op(), FAST)
    assert again.committed, again.lines()
    assert c.servers["a"].node.status().ceremonies == ()  # the aborted one is closed as superseded
    assert c.decapsulates("k", 1, r2, ["a", "c", "d", "e"], y)


def test_operator_added_by_a_reshare_is_trusted_without_restart(council: Council) -> None:
    from council.driver.log_entries import approve_pending
    from council.driver.operator import OperatorFolder
    from council.log import Entry, RosterProposed
    from council.node.folder import write_json
    from council.node.log_book import folder_logbook
    from council.roster import Roster

    def operators_approve(name: str, entry: Entry) -> None:
        """A change of operators is beyond any governance.toml: each member's operator approves it."""
        folder_logbook(c.members[name].path).operator_approve(entry.id)

    c = council
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r1")
    assert run_dkg(r1, "k", c.op(), FAST).committed
    bob = OperatorFolder.init(c.base / "bob", "bob", None)
    r2 = Roster(2, r1.members, (c.op().card(), bob.card()))
    write_json(c.base / "roster-r2.json", r2.to_json())
    assert approve_pending(r1, "k", c.op(), FAST, RosterProposed(r2), operators_approve).accepted
    assert run_reshare(r1, r2, "k", c.op(), FAST).committed
    r3 = Roster(3, r1.members, (bob.card(),))
    assert approve_pending(r2, "k", bob, FAST, RosterProposed(r3), operators_approve).accepted
    by_bob = run_reshare(r2, r3, "k", bob, FAST)  # members still run with --roster r1
    assert by_bob.committed, by_bob.lines()
    assert fetch_bundle(r3, "k", bob, FAST).epoch == 2


def test_member_offline_during_dkg_catches_up(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "ab":
        c.serve(n, "r")
    dkg = run_dkg(r, "k", c.op(), FAST)
    assert dkg.committed and set(dkg.missing) == {"c"}
    c.serve("c", "r")
    assert run_catch_up(r, "k", c.op(), FAST) == {"a": "up to date at epoch 0", "b": "up to date at epoch 0",
                                                  "c": "caught up to epoch 0"}
    assert c.decapsulates("k", 0, r, ["a", "c"], dkg.bundle.public_key)


class DriverCrash(Exception):
    """The driver stops between output and finalize."""


def test_driver_stopping_after_output_is_resumed(council: Council) -> None:
    from council.driver.ceremony import run_resume

    c = council
    names = ["a", "b", "c", "d"]
    c.add_members(*names)
    r1 = c.roster("r1", 3, names)
    r2 = c.roster("r2", 3, names)
    for n in names:
        c.serve(n, "r1")
    y = run_dkg(r1, "k", c.op(), FAST).bundle.public_key
    started: list[str] = []

    def crash(phase: str) -> None:
        if phase == "finalize":
            raise DriverCrash
    try:
        run_reshare(r1, r2, "k", c.op(), FAST, hook=lambda p: (started.append(p), crash(p)))
    except DriverCrash:
        pass
    assert started[-1] == "finalize"
    stuck = c.servers["a"].node.status().ceremonies
    assert len(stuck) == 1 and c.store("a").current("k").epoch == 0  # old epoch intact

    second = run_reshare(r1, r2, "k", c.op(), FAST)  # members signed the first commit: no second
    assert not second.committed and all("one commit per epoch" in why for why in second.problems.values())
    resumed = run_resume(r1, bytes.fromhex(stuck[0]), c.op(), FAST)
    assert resumed.committed and resumed.ceremony_id == stuck[0], resumed.lines()
    assert c.decapsulates("k", 1, r2, ["a", "b", "d"], y)
    assert c.servers["b"].node.status().ceremonies == ()
