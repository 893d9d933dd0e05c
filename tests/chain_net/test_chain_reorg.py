"""A reorg deeper than a member's confirmations takes an anchor away: the member's cache notices
(the block it read up to changed), forgets every anchor and reads the chain again, and stops acting
on the widening entry the new chain no longer anchors, until it is anchored again. Real gRPC
members and a real Hardhat node; the reorg is the node's own `evm_revert` to an earlier block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chain_helpers import funded_signer, mine, revert, snapshot, wait_until
from node_helpers import Council

from council.chain.client import ChainClient
from council.chain.hardhat import HardhatNode, hardhat_installed
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.log_anchor import anchor_log, register_key
from council.driver.log_commands import propose_roster
from council.driver.phases import Timing
from council.node.chain_config import ChainConfig
from council.node.chain_member import attach_chain

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not hardhat_installed(), reason="Hardhat not installed (make hardhat)"),
]
FAST = Timing(call_timeout=30, retry_window=0.3)


def test_a_deep_reorg_takes_the_anchor_away_from_a_running_member(council: Council, hardhat: HardhatNode,
                                                                   tmp_path: Path) -> None:
    c = council
    w3 = hardhat.web3()
    client = ChainClient.deploy(w3, funded_signer(w3, tmp_path, "submitter"))
    c.add_members("a", "b", "c", "d")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    r2 = c.roster("r2", 3, ["a", "b", "c", "d"])
    for n in "abcd":
        c.serve(n, "r1")
    assert run_dkg(r1, "k", c.op(), FAST, signing_key=True).committed
    register_key(r1, "k", c.op(), FAST, client)
    anchor_log(r1, "k", c.op(), FAST, client)  # the genesis entry
    for n in "abcd":
        attach_chain(c.servers[n].node, ChainConfig(hardhat.url, client.address, confirmations=2, poll_seconds=0.2))
    before_roster = snapshot(w3)

    proposal = propose_roster(r2, "k", c.op(), FAST)  # widening, accepted, then anchored 2 blocks deep
    assert proposal.report is not None and proposal.report.accepted
    anchor_log(r1, "k", c.op(), FAST, client)
    mine(w3, 2)
    books = {n: c.servers[n].node.logbook for n in "abc"}
    wait_until(lambda: all(b.waiting_for_anchor("k") is None for b in books.values()))

    revert(w3, before_roster)  # a reorg 4+ blocks deep: the new chain has no anchor of the roster entry
    mine(w3, 6)
    watches = {n: c.servers[n].node.chain for n in "abc"}
    wait_until(lambda: all(w is not None and w.reorgs >= 1 for w in watches.values()))
    wait_until(lambda: all(b.waiting_for_anchor("k") == 1 for b in books.values()))
    refused = run_reshare(r1, r2, "k", c.op(), FAST)
    assert not refused.committed, refused.lines()
    assert "not accepted in the key's council log" in " ".join(refused.lines())
    events = [json.loads(line) for line in (c.base / "a" / "log" / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "chain-reorg" and e["dropped"] >= 2 for e in events)

    anchor_log(r1, "k", c.op(), FAST, client)  # anchored again on the new chain: the members act
    mine(w3, 2)
    wait_until(lambda: all(b.waiting_for_anchor("k") is None for b in books.values()))
    assert run_reshare(r1, r2, "k", c.op(), FAST).committed
