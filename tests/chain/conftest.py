"""Fixtures for the chain tests: one in-process tester chain (py-evm) per module with the contract
deployed and a council key registered; each test runs on a snapshot that is reverted after it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from chain_helpers import Council, funded_signer, revert, snapshot
from web3 import EthereumTesterProvider, Web3

from council.chain.client import ChainClient


def one_pass_estimate(state: Any, transaction: Any) -> int:
    """py-evm's gas estimate in one execution at the block's gas limit: the gas it used plus what
    it was refunded (the limit must cover both). py-evm's default is a binary search of ~13 runs,
    each paying a ~1 s pure-Python pairing; the client adds its own margin (GAS_MARGIN) on top."""
    from eth.vm.spoof import SpoofTransaction

    snap = state.snapshot()
    try:
        computation = state.apply_transaction(SpoofTransaction(transaction, gas=state.gas_limit, gas_price=0))
        if computation.is_error:
            raise computation.error
        return int(computation.get_gas_used() + computation.get_gas_refund())
    finally:
        state.revert(snap)


@pytest.fixture(scope="module")
def tester(tmp_path_factory: pytest.TempPathFactory) -> tuple[ChainClient, Council]:
    w3 = Web3(EthereumTesterProvider())
    chain = w3.provider.ethereum_tester.backend.chain  # type: ignore[attr-defined]
    type(chain).gas_estimator = staticmethod(one_pass_estimate)  # this backend's own chain class,
    chain.gas_estimator = one_pass_estimate  # and the instance, which copied the default at start
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
