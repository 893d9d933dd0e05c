"""What the chain anchor costs a council of real members (in-process gRPC servers, mutual TLS) on
a Hardhat node: the DKG and a re-share with and without the BN254 signing key (wall clock of the
whole ceremony, all members sharing this machine), gas of `register` and of `anchor` for one entry
and for a batch, latency of `log anchor` (partials, combine, send, 1 confirmation), and latency
from an entry's acceptance to its head confirmed on chain when a member anchors by itself.

    .venv/bin/python -m benchmarks.chain_members [N]      # N members (default 3), t = N//2 + 1
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from council.chain.account import create_key_file
from council.chain.client import ChainClient
from council.chain.hardhat import HardhatNode
from council.chain.heads import chain_key_id
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.log_anchor import anchor_log, register_key
from council.driver.log_commands import propose_roster
from council.driver.phases import Timing
from council.localnet.council import LocalCouncil
from council.node.chain_config import ChainConfig
from council.node.chain_member import attach_chain
from council.node.runtime import open_member
from council.node.server import RunningServer, start

TIMING = Timing(call_timeout=60, retry_window=0.3)


def _funded(client_w3: object, path: Path) -> object:
    signer = create_key_file(path)
    w3 = client_w3
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": signer.address, "value": 10**20})  # type: ignore[attr-defined]
    w3.eth.wait_for_transaction_receipt(tx, timeout=60)  # type: ignore[attr-defined]
    return signer


def _calldata(w3: object, tx_hash: str) -> tuple[int, int]:
    """(bytes of entries + ABI, gas of that calldata at 16 a nonzero byte and 4 a zero byte)."""
    data = bytes(w3.eth.get_transaction(bytes.fromhex(tx_hash))["input"])  # type: ignore[attr-defined]
    return len(data), sum(16 if b else 4 for b in data)


def measure(n: int = 3) -> list[str]:
    """The figures for a council of n members, one line each."""
    t = n // 2 + 1
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, HardhatNode(Path(tmp) / "hardhat.log") as hh:
        base = Path(tmp)
        w3 = hh.web3()
        client = ChainClient.deploy(w3, _funded(w3, base / "submitter.key"))  # type: ignore[arg-type]
        _funded(w3, base / "member.key")
        c = LocalCouncil(base / "council", log_dir=base)
        names = [f"m{i}" for i in range(1, n + 1)]
        c.add_members(names)
        r1 = c.roster("r1", t, names)
        r2 = c.roster("r2", t, list(reversed(names)))
        servers: dict[str, RunningServer] = {}
        try:
            for name in names:
                node = open_member(base / "council" / name, c.roster_files["r1"], None, log_to_stderr=False)
                servers[name] = start(node, c.members[name].listen, workers=4)
            rows = []
            for signing in (False, True):
                key = f"k-{int(signing)}"
                started = time.monotonic()
                assert run_dkg(r1, key, c.init_operator(), TIMING, signing_key=signing).committed
                dkg = time.monotonic() - started
                started = time.monotonic()
                assert run_reshare(r1, r1, key, c.init_operator(), TIMING).committed
                rows.append((signing, dkg, time.monotonic() - started))
            for signing, dkg, reshare in rows:
                out.append(f"n={n} t={t} {'with' if signing else 'without'} signing key: DKG {dkg:.2f} s, "
                           f"re-share {reshare:.2f} s (wall clock, {n} members on this machine)")
            op = c.init_operator()
            reg = register_key(r1, "k-1", op, TIMING, client)
            out.append(f"register: gas {reg.gas_used}")
            first = anchor_log(r1, "k-1", op, TIMING, client)  # genesis + epoch-committed: one batch
            for s in first.steps:
                size, data_gas = _calldata(w3, s.tx_hash)
                out.append(f"log anchor, batch of {s.seq_to - s.seq_from} entries: gas {s.gas_used} ({size} bytes "
                           f"of calldata, {data_gas} gas of it), send + 1 confirmation {s.seconds:.2f} s")
            started = time.monotonic()
            assert propose_roster(r2, "k-1", op, TIMING).report.accepted  # type: ignore[union-attr]
            one = anchor_log(r1, "k-1", op, TIMING, client)
            size, data_gas = _calldata(w3, one.steps[0].tx_hash)
            out.append(f"log anchor, one entry from its approvals' partials: gas {one.steps[0].gas_used} ({size} "
                       f"bytes of calldata, {data_gas} gas of it), whole command {time.monotonic() - started:.2f} s "
                       "(propose included)")
            for i, name in enumerate(names):
                account = base / "member.key" if i == 0 else None
                attach_chain(servers[name].node, ChainConfig(hh.url, client.address, 1, account, poll_seconds=0.2))
            time.sleep(1.0)
            started = time.monotonic()
            assert run_reshare(r1, r2, "k-1", op, TIMING).committed  # appends the epoch-committed entry
            accepted = time.monotonic()
            key32, target = chain_key_id("k-1"), one.steps[0].seq_to + 1
            while client.record(key32).seq < target:
                time.sleep(0.05)
            out.append(f"anchor latency, approval to confirmed head (a member anchoring by itself): the accepted "
                       f"entry was confirmed on chain {time.monotonic() - accepted:.2f} s after the re-share returned "
                       f"(re-share {accepted - started:.2f} s)")
        finally:
            for s in servers.values():
                if s.node.chain is not None:
                    s.node.chain.stop()
                s.stop(0)
            c.close()
    return out


def section(quick: bool = False) -> str:
    """`make bench`: the council of members on a Hardhat node (n = 5; quick: n = 3)."""
    from council.chain.hardhat import hardhat_installed

    head = ["## The anchor with real members (Hardhat node, in-process gRPC members)", "",
            "`python -m benchmarks.chain_members N`: members with mutual TLS in this process, one Hardhat node; "
            "the ceremonies' wall clock includes the BN254 signing key's dealing when asked for it.", ""]
    if not hardhat_installed():
        return "\n".join([*head, "Hardhat is not installed (`make hardhat`); skipped.", ""])
    return "\n".join([*head, *(f"- {line}" for line in measure(3 if quick else 5)), ""])


def _main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.chain_members",
                                     description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=3, help="members (default 3), t = n//2 + 1")
    print("\n".join(measure(parser.parse_args(argv).n)))


if __name__ == "__main__":
    _main()
