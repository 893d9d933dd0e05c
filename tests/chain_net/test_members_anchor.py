"""Members and the chain anchor, with real gRPC members (in-process servers, mutual TLS) and a real
Hardhat node: the signing key registered with proof of possession, the log anchored from the
approvals' partial signatures, a member configured with the chain refusing to act on an accepted
widening entry until it is anchored, a re-share anchored with the contract's key unchanged, a member
with an account anchoring by itself, `log verify --chain-rpc` against the chain, and the chain's
events alone rebuilding the log (`log verify` without FILE), a forged chain refused."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import chain_bls
import pytest
from chain_helpers import funded_signer, wait_until
from lognet_helpers import kc
from node_helpers import Council

from council.chain.audit import audit_chain, chain_log, compare
from council.chain.client import ChainClient
from council.chain.hardhat import HardhatNode, hardhat_installed
from council.chain.heads import (
    AnchorPartial,
    batch_head,
    chain_key_id,
    empty_head,
    registration_message,
)
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.log_anchor import anchor_log, register_key
from council.driver.log_client import LogClient
from council.driver.log_commands import propose_roster
from council.driver.phases import Timing
from council.driver.query import fetch_bundle
from council.log import Entry
from council.node.chain_config import ChainConfig
from council.node.chain_member import attach_chain

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not hardhat_installed(), reason="Hardhat not installed (make hardhat)"),
]
FAST = Timing(call_timeout=30, retry_window=0.3)


def test_members_act_on_widening_entries_only_once_anchored(council: Council, hardhat: HardhatNode,
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
    b0 = fetch_bundle(r1, "k", c.op(), FAST)
    key32 = chain_key_id("k")

    reg = register_key(r1, "k", c.op(), FAST, client)  # proof of possession by t members
    assert not reg.already and client.record(key32).pubkey == b0.signing_public_key
    assert register_key(r1, "k", c.op(), FAST, client).already
    first = anchor_log(r1, "k", c.op(), FAST, client)  # the genesis entry (asked of the members)
    assert [(s.seq_from, s.seq_to) for s in first.steps] == [(0, 1)]
    assert client.record(key32).seq == 1

    for n in "abcd":
        attach_chain(c.servers[n].node, ChainConfig(hardhat.url, client.address, confirmations=1, poll_seconds=0.3))
    wait_until(lambda: all(c.servers[n].node.chain.deployment is not None for n in "abcd"))  # type: ignore[union-attr]

    proposal = propose_roster(r2, "k", c.op(), FAST)  # widening: accepted (test governance approves) ...
    assert proposal.report is not None and proposal.report.accepted
    record = proposal.report.record
    assert record is not None and all(AnchorPartial.from_bytes(a.anchor).epoch == 0 for a in record.approvals)
    book = c.servers["a"].node.logbook
    assert book.waiting_for_anchor("k") == 1 and book.acting("k").pending is None
    watch = c.servers["a"].node.chain
    assert watch is not None
    lag = watch.anchor_lags()["k"]
    time.sleep(0.3)
    assert 0 < lag < watch.anchor_lags()["k"]  # the metric: the unanchored roster entry waits, and longer
    refused = run_reshare(r1, r2, "k", c.op(), FAST)  # ... but not anchored: no member deals to r2
    assert not refused.committed, refused.lines()
    assert "not accepted in the key's council log" in " ".join(refused.lines())

    second = anchor_log(r1, "k", c.op(), FAST, client)  # one entry: the approvals' partials suffice
    assert [(s.seq_from, s.seq_to) for s in second.steps] == [(1, 2)]
    wait_until(lambda: book.waiting_for_anchor("k") is None)
    wait_until(lambda: watch.anchor_lags()["k"] == 0.0)  # anchored and confirmed: nothing waits
    again = run_reshare(r1, r2, "k", c.op(), FAST)
    assert again.committed, again.lines()

    third = anchor_log(r2, "k", c.op(), FAST, client)  # the epoch-committed entry, signed by the new epoch
    assert third.steps and third.steps[-1].seq_to == 3
    after = client.record(key32)
    assert after.pubkey == b0.signing_public_key  # the contract's key never changes
    assert (after.epoch, after.roster_digest) == (1, r2.digest())

    with LogClient(r2.members, c.op(), FAST) as log:
        _, records = log.read("k")
    assert compare("k", records, chain_log(client, "k")).ok
    assert not compare("k", records[:2], chain_log(client, "k")).ok  # a log cut short hides anchored entries
    status = c.servers["d"].node.status()
    assert status.chain.startswith("ok")

    # The chain's events alone rebuild the log that `log verify` accepts (no FILE, no member asked).
    chain = ["--chain-rpc", hardhat.url, "--contract", client.address]
    alone = kc("log", "verify", *chain, "--key-id", "k")
    assert alone.code == 0, alone.text
    assert f"OK, {len(records)} entries rebuilt from 3 anchors" in alone.out, alone.out
    for r in records:
        assert re.search(rf"^ +{r.entry.seq}  {r.entry.kind.label} +by .*signature OK", alone.out, re.M), alone.out
    as_json = kc("log", "verify", *chain, "--key-id", "k", "--json")
    assert as_json.code == 0 and as_json.json()["head"] == records[-1].entry.digest.hex(), as_json.text  # type: ignore[index]
    unknown = kc("log", "verify", *chain, "--key-id", "nobody")
    assert unknown.code == 1 and "anchor.registration" in unknown.out, unknown.text
    _forged_chain_is_refused(w3, hardhat.url, client.signer, [r.entry for r in records])


def _forged_chain_is_refused(w3: Any, url: str, signer: Any, entries: list[Entry]) -> None:
    """Another deployment where whoever holds the registered key (here the test's own BN254 key,
    not the council's) anchors the real genesis entry, then entry 1 with its author signature
    altered: the contract accepts what its key signed, `log verify` from the chain refuses it."""
    forged = ChainClient.deploy(w3, signer)
    sk, pubkey = chain_bls.keygen()
    roster_digest, key32 = entries[0].body.roster.digest(), chain_key_id("k")  # type: ignore[attr-defined]
    reg = registration_message(forged.chain_id, forged.address, "k", pubkey, roster_digest, 0, *empty_head())
    forged.register(key32, pubkey, roster_digest, 0, *empty_head(), chain_bls.sign(sk, reg))
    bad = replace(entries[1], signature=bytes([entries[1].signature[0] ^ 1]) + entries[1].signature[1:])
    for batch in ([entries[0]], [bad]):
        head = batch_head("k", batch, roster_digest, 0)
        forged.anchor(head, chain_bls.sign(sk, head.message(forged.chain_id, forged.address)))
    refused = kc("log", "verify", "--chain-rpc", url, "--contract", forged.address,
                 "--key-id", "k")
    assert refused.code == 1, refused.text
    assert "FAILED at entry 1: entry.signature: " in refused.out and "1 entries verified before it" in refused.out, refused.out
    audit = audit_chain(forged, "k")
    assert audit.failure is not None and audit.failure.seq == 1, audit.lines()


def test_member_with_an_account_anchors_by_itself(council: Council, hardhat: HardhatNode, tmp_path: Path) -> None:
    c = council
    w3 = hardhat.web3()
    client = ChainClient.deploy(w3, funded_signer(w3, tmp_path, "submitter"))
    funded_signer(w3, tmp_path, "member-a")  # writes tmp_path/member-a.key (0600)
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r1")
    assert run_dkg(r1, "k", c.op(), FAST, signing_key=True).committed
    chain = ["--chain-rpc", hardhat.url, "--contract", client.address, "--account", str(tmp_path / "submitter.key")]
    common = ["--roster", str(c.roster_files["r1"]), "--key-id", "k", "--operator", str(c.op().path)]
    reg = kc("log", "register", *common, *chain)
    assert reg.code == 0 and "registered" in reg.out, reg.text
    anchored = kc("log", "anchor", *common, *chain, "--json")
    assert anchored.code == 0, anchored.text
    assert [(s["from"], s["to"]) for s in anchored.json()["steps"]] == [(0, 1)]  # type: ignore[index]
    for n in "abc":
        account = tmp_path / "member-a.key" if n == "a" else None
        attach_chain(c.servers[n].node, ChainConfig(hardhat.url, client.address, 1, account, poll_seconds=0.3))
    wait_until(lambda: all(c.servers[n].node.chain.deployment is not None for n in "abc"))  # type: ignore[union-attr]
    proposal = propose_roster(c.roster("r3", 3, ["a", "b", "c"]), "k", c.op(), FAST)
    assert proposal.report is not None and proposal.report.accepted
    wait_until(lambda: client.record(chain_key_id("k")).seq == 2)  # member a combined the approvals and sent it
    wait_until(lambda: c.servers["b"].node.logbook.waiting_for_anchor("k") is None)
