"""The on-chain anchor (docs/chain.md): gas per register and per anchor on py-evm (web3's tester
chain) and on a Hardhat node, against n, t and the size of the entries; and on Hardhat the latency
from submitting an anchor to its head confirmed by 1 and 2 blocks (the node mines a block per
transaction and one every second).

Heads are signed by t of n py_ecc shares combined by Lagrange; H(m) comes from the contract's
`hash_to_point` view, so this module needs no BLS code of its own.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from pathlib import Path

from py_ecc.optimized_bn128 import FQ, G2, add, curve_order, multiply, normalize

from benchmarks import limits
from benchmarks.machine import describe

NT = ((4, 3), (16, 11), (64, 43))
ENTRY_SIZES = (64, 1024, 16384)


class _Council:
    """A t-of-n BN254 signing key as py_ecc integers (bench only; the product's is council/crypto/bn254)."""

    def __init__(self, n: int, t: int) -> None:
        self.sk = 1 + secrets.randbelow(curve_order - 1)
        coeffs = [self.sk] + [secrets.randbelow(curve_order) for _ in range(t - 1)]
        self.shares = {i: sum(c * pow(i, k, curve_order) for k, c in enumerate(coeffs)) % curve_order
                       for i in range(1, n + 1)}
        self.t = t
        x, y = normalize(multiply(G2, self.sk))
        self.pubkey = b"".join(int(c).to_bytes(32, "big") for c in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))

    def sign(self, client, message: bytes, whole: bool = False) -> bytes:  # type: ignore[no-untyped-def]
        hx, hy = client.hash_to_point(message)
        h = (FQ(hx), FQ(hy), FQ(1))
        if whole:
            return _g1(multiply(h, self.sk))
        signers = sorted(secrets.SystemRandom().sample(sorted(self.shares), self.t))
        acc = None
        for i in signers:
            lam = 1
            for j in signers:
                if j != i:
                    lam = lam * j * pow(j - i, curve_order - 2, curve_order) % curve_order
            term = multiply(h, self.shares[i] * lam % curve_order)
            acc = term if acc is None else add(acc, term)
        return _g1(acc)


def _g1(point) -> bytes:  # type: ignore[no-untyped-def]
    x, y = normalize(point)
    return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")


def _fund(w3, folder: Path, name: str):  # type: ignore[no-untyped-def]
    from council.chain.account import create_key_file

    signer = create_key_file(folder / f"{name}.key")
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": signer.address, "value": 10**20})
    w3.eth.wait_for_transaction_receipt(tx, timeout=60)
    return signer


def _calldata_gas(w3, tx_hash: bytes) -> int:  # type: ignore[no-untyped-def]
    return sum(16 if b else 4 for b in bytes(w3.eth.get_transaction(tx_hash)["input"]))


def _register(client, council: _Council) -> int:  # type: ignore[no-untyped-def]
    from council.chain.messages import register_message

    key_id, roster, head = secrets.token_bytes(32), secrets.token_bytes(32), secrets.token_bytes(32)
    message = register_message(client.chain_id, client.address, key_id, council.pubkey, roster, 1, 0, head)
    result = client.register(key_id, council.pubkey, roster, 1, 0, head, council.sign(client, message, whole=True))
    council.key_id, council.roster, council.head, council.seq = key_id, roster, head, 0  # type: ignore[attr-defined]
    return int(result.gas_used)


def _anchor(client, council: _Council, size: int, confirmations: int = 0):  # type: ignore[no-untyped-def]
    """Anchor one head; (gas, calldata gas, seconds from submit to the head confirmed)."""
    from council.chain.messages import AnchorHead

    c = council
    head = AnchorHead(c.key_id, c.seq + 1, c.head, secrets.token_bytes(32), c.roster, 1,  # type: ignore[attr-defined]
                      secrets.token_bytes(size))
    signature = c.sign(client, head.message(client.chain_id, client.address))
    start_block = client.w3.eth.block_number
    t0 = time.perf_counter()
    result = client.anchor(head, signature)
    if confirmations:
        client.wait_confirmed(head, confirmations, timeout=60, from_block=start_block, poll=0.05)
    elapsed = time.perf_counter() - t0
    c.seq, c.head = head.seq, head.new_head  # type: ignore[attr-defined]
    return result.gas_used, _calldata_gas(client.w3, result.tx_hash), elapsed


def _gas_rows(client, quick: bool) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    rows = []
    register_gas = 0
    for n, t in NT[:1] if quick else NT:
        council = _Council(n, t)
        register_gas = _register(client, council)
        samples = [_anchor(client, council, 64) for _ in range(2 if quick else 3)]
        gas = [g for g, _, _ in samples]
        calldata = samples[0][1]
        rows.append(f"| {n} | {t} | 64 | {min(gas):,}–{max(gas):,} | {calldata:,} | {max(gas) - calldata:,} |")
        limits.record(f"gas per anchor without calldata, n = {n}, t = {t}, on {client_name(client)} (max of "
                      f"{len(gas)})", max(gas) - calldata, 200_000, "gas", source="On-chain anchor")
    council = _Council(4, 3)
    _register(client, council)
    for size in ENTRY_SIZES[1:2] if quick else ENTRY_SIZES[1:]:
        g, calldata, _ = _anchor(client, council, size)
        rows.append(f"| 4 | 3 | {size:,} | {g:,} | {calldata:,} | {g - calldata:,} |")
    return register_gas, rows


def client_name(client) -> str:  # type: ignore[no-untyped-def]
    """py-evm or Hardhat, from the node's client version string."""
    return "Hardhat" if "hardhat" in str(client.w3.client_version).lower() else "py-evm"


def _table(title: str, register_gas: int, deploy_gas: int, rows: list[str]) -> list[str]:
    return [f"### {title}", "", f"Deploy: {deploy_gas:,} gas. Register (proof of possession checked): "
            f"{register_gas:,} gas.", "",
            "| n | t | entries (bytes) | gas per anchor | of which calldata | without calldata |",
            "| --- | --- | --- | --- | --- | --- |", *rows, ""]


def _deploy(w3, folder: Path):  # type: ignore[no-untyped-def]
    from council.chain.client import ChainClient

    client = ChainClient.deploy(w3, _fund(w3, folder, "bench"))
    block = w3.eth.get_block("latest")
    receipt = w3.eth.get_transaction_receipt(block["transactions"][0])
    return client, int(receipt["gasUsed"])


def _pyevm_part(quick: bool, folder: Path) -> list[str]:
    from web3 import EthereumTesterProvider, Web3

    w3 = Web3(EthereumTesterProvider())
    client, deploy_gas = _deploy(w3, folder)
    register_gas, rows = _gas_rows(client, quick)
    return _table("py-evm (web3's in-process tester chain, cancun)", register_gas, deploy_gas, rows)


def _hardhat_part(quick: bool, folder: Path) -> list[str]:
    from council.chain.hardhat import HardhatNode, hardhat_installed

    if not hardhat_installed():
        return ["### Hardhat", "", "Hardhat is not installed (`make hardhat`); skipped.", ""]
    with HardhatNode(folder / "hardhat.log") as node:
        w3 = node.web3()
        client, deploy_gas = _deploy(w3, folder)
        register_gas, rows = _gas_rows(client, quick)
        parts = _table(f"Hardhat 2.29.1 node (JSON-RPC on 127.0.0.1, hardfork {_hardfork(w3)})",
                       register_gas, deploy_gas, rows)
        council = _Council(16, 11)
        _register(client, council)
        lines = ["Latency from `anchor` (estimate, sign, send, receipt) to the head confirmed "
                 "(the node mines a block per transaction and one every second):", "",
                 "| confirmations | anchors | p50 | max |", "| --- | --- | --- | --- |"]
        for confirmations in (1, 2):
            times = [_anchor(client, council, 256, confirmations)[2] for _ in range(3 if quick else 10)]
            lines.append(f"| {confirmations} | {len(times)} | {statistics.median(times) * 1000:.0f} ms | "
                         f"{max(times) * 1000:.0f} ms |")
    return parts + lines + [""]


def _hardfork(w3) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(w3.provider.make_request("hardhat_metadata", [])["result"]["hardforkName"])
    except Exception:
        return "default"


def section(quick: bool = False) -> str:
    start = time.perf_counter()
    parts = ["## On-chain anchor (CouncilAnchor)", "",
             "One aggregate BLS signature is checked per anchor (one pairing call), so gas does not "
             "depend on n or t; the hash to curve takes its inverse and square roots as witnesses from the "
             "submitter (one multiplication each to check), so what is left of the spread within a row is "
             "the witnesses' calldata (how many candidates the SvdW map tries). Target: ≤ 200k gas plus "
             "calldata per anchor.", "",
             f"Machine: {describe()}.", ""]
    with tempfile.TemporaryDirectory(prefix="kc-chain-bench-") as tmp:
        for sub in ("py-evm", "hardhat"):
            (Path(tmp) / sub).mkdir()
        parts += _pyevm_part(quick, Path(tmp) / "py-evm")  # each chain funds its own accounts
        parts += _hardhat_part(quick, Path(tmp) / "hardhat")
    parts.append(f"This section took {time.perf_counter() - start:.0f} s of wall time.")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    from benchmarks.section_args import quick_flag

    print(section(quick_flag("benchmarks.chain", __doc__)))
