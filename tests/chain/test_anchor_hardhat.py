"""CouncilAnchor end to end against a real Hardhat node process on 127.0.0.1 (JSON-RPC): deploy,
register, anchor with confirmations, refusals rejected at send, a race, a reorg, drand beacons."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_helpers import Council, calldata_gas, funded_signer, revert, snapshot

from council.chain.client import ChainClient
from council.chain.hardhat import HardhatNode, hardhat_installed
from council.chain.messages import drand_round_message
from council.errors import ChainError

ANCHOR_GAS_GUARD = 200_000
"""Flat in n and t: the issue's target, without calldata (docs/chain.md)."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not hardhat_installed(), reason="Hardhat not installed (make hardhat)"),
]

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "drand_evmnet.json"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    with HardhatNode(tmp_path_factory.mktemp("hardhat") / "node.log") as hh:
        yield hh


@pytest.fixture(scope="module")
def deployed(node: HardhatNode, tmp_path_factory: pytest.TempPathFactory) -> tuple[ChainClient, Council]:
    w3 = node.web3()
    assert w3.eth.chain_id == 31337
    client = ChainClient.deploy(w3, funded_signer(w3, tmp_path_factory.mktemp("accounts"), "deployer"))
    council = Council.new()
    council.register(client)
    return client, council


@pytest.fixture
def hh(deployed: tuple[ChainClient, Council]) -> Iterator[tuple[ChainClient, Council]]:
    client, council = deployed
    snap = snapshot(client.w3)
    yield client, dataclasses.replace(council, shares=dict(council.shares))
    revert(client.w3, snap)


def test_anchor_confirmed_and_rebuilt_from_events(hh: tuple[ChainClient, Council]) -> None:
    client, council = hh
    start = client.w3.eth.block_number
    gas = []
    for i in range(3):
        head = council.next_head(f"batch {i}".encode() * 8)
        result = client.anchor(head, council.sign(client, head))
        assert result.gas_used is not None and result.tx_hash is not None
        gas.append((result.gas_used, calldata_gas(client.w3, result.tx_hash)))
        client.wait_confirmed(head, confirmations=2, timeout=60, from_block=start)
        council.accepted(head)
    assert client.rebuild_entries(council.key_id, start) == [f"batch {i}".encode() * 8 for i in range(3)]
    record = client.record(council.key_id)
    assert (record.seq, record.head, record.pubkey) == (3, council.head, council.pubkey)
    print(f"gas per anchor on Hardhat (56-byte entries), (total, calldata): {gas}")
    # The target is 200k plus calldata; hashing the head to G1 costs 19-38k depending on the head
    # (the SvdW map's square roots), so one anchor in a few goes up to ~208k: a regression guard here,
    # the distribution in docs/chain.md.
    assert all(total <= ANCHOR_GAS_GUARD + calldata for total, calldata in gas)


def test_refusals_rejected_at_send(hh: tuple[ChainClient, Council]) -> None:
    client, council = hh
    head = council.next_head()
    with pytest.raises(ChainError, match=f"anchor of key {council.key_id.hex()} refused.*council signature does not verify"):
        client.anchor(head, council.sign(client, head, signers=[1, 2]))  # t - 1 shares
    with pytest.raises(ChainError, match="prev_head is not the anchored head"):
        client.anchor(council.next_head(prev_head=secrets.token_bytes(32)), council.sign(client, head))
    # passed estimation, then a competing head landed first: Hardhat rejects it at send
    ours, theirs = council.next_head(b"ours"), council.next_head(b"theirs")
    prepared = client.prepare_anchor(ours, council.sign(client, ours))
    client.anchor(theirs, council.sign(client, theirs))
    with pytest.raises(ChainError, match="prev_head is not the anchored head"):
        client.send(prepared)  # type: ignore[arg-type]


def test_race_between_members_is_idempotent(hh: tuple[ChainClient, Council], tmp_path: Path) -> None:
    client, council = hh
    rival = ChainClient(client.w3, client.address, funded_signer(client.w3, tmp_path, "rival"))
    head = council.next_head()
    signature = council.sign(client, head)
    ours, theirs = client.prepare_anchor(head, signature), rival.prepare_anchor(head, signature)
    assert not rival.send(theirs).already_anchored  # type: ignore[arg-type]
    assert client.send(ours).already_anchored  # type: ignore[arg-type]


def test_reorg_noticed_and_rebroadcast(hh: tuple[ChainClient, Council]) -> None:
    client, council = hh
    start = client.w3.eth.block_number
    head = council.next_head()
    prepared = client.prepare_anchor(head, council.sign(client, head))
    before = snapshot(client.w3)
    client.send(prepared)  # type: ignore[arg-type]
    client.wait_confirmed(head, confirmations=2, timeout=60, from_block=start)
    revert(client.w3, before)  # drop the blocks that held the anchor
    assert client.record(council.key_id).seq == council.seq
    event = client.wait_confirmed(head, confirmations=2, timeout=60, from_block=start,
                                  rebroadcast=prepared.raw)  # type: ignore[union-attr]
    assert event.new_head == client.record(council.key_id).head == head.new_head


def test_drand_evmnet_beacons_on_hardhat(hh: tuple[ChainClient, Council]) -> None:
    client, _ = hh
    vectors = json.loads(VECTORS.read_text())
    pubkey = bytes.fromhex(vectors["chain"]["public_key"])
    for beacon in vectors["beacons"]:
        sig = bytes.fromhex(beacon["signature"])
        assert client.verify_signature(pubkey, drand_round_message(beacon["round"]), sig)
        assert not client.verify_signature(pubkey, drand_round_message(beacon["round"] + 1), sig)
