"""Fixtures for the chain tests: one in-process tester chain (py-evm) per module with the contract
deployed and a council key registered; each test runs on a snapshot that is reverted after it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from chain_helpers import Council, funded_signer, revert, snapshot
from web3 import EthereumTesterProvider, Web3

from council.chain.client import ChainClient


@pytest.fixture(scope="module")
def tester(tmp_path_factory: pytest.TempPathFactory) -> tuple[ChainClient, Council]:
    w3 = Web3(EthereumTesterProvider())
    folder = tmp_path_factory.mktemp("accounts")
    client = ChainClient.deploy(w3, funded_signer(w3, folder, "deployer"))
    council = Council.new()
    council.register(client)
    return client, council


@pytest.fixture
def chain(tester: tuple[ChainClient, Council]) -> Iterator[tuple[ChainClient, Council]]:
    client, council = tester
    snap = snapshot(client.w3)
    yield client, dataclasses.replace(council, shares=dict(council.shares))
    revert(client.w3, snap)
