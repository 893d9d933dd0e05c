"""A member whose chain cannot be read (nothing listens on the RPC port): it keeps serving what needs
no widening, says so in its status and events, and acts on no widening entry (no Hardhat needed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from lognet_helpers import kc
from node_helpers import Council

from council.driver.ceremony import run_dkg, run_reshare
from council.driver.log_commands import propose_roster
from council.driver.phases import Timing
from council.driver.query import fetch_bundle
from council.localnet.ports import loopback_port
from council.node.chain_config import ChainConfig, load_chain_config, rpc_from, scrub, shown_rpc
from council.node.chain_member import attach_chain
from council.storage.folders import FolderError

FAST = Timing(call_timeout=30, retry_window=0.3)


def test_chain_unavailable_members_serve_but_do_not_widen(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    r2 = c.roster("r2", 3, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r1")
    assert run_dkg(r1, "k", c.op(), FAST).committed
    dead = f"http://127.0.0.1:{loopback_port()}"
    for n in "abc":
        attach_chain(c.servers[n].node, ChainConfig(dead, "0x" + "11" * 20, poll_seconds=0.2))
    deadline = time.monotonic() + 20
    while not c.servers["a"].node.status().chain.startswith("unavailable"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert fetch_bundle(r1, "k", c.op(), FAST).epoch == 0  # serving goes on
    proposal = propose_roster(r2, "k", c.op(), FAST)  # approving goes on (approvals carry no partial)
    assert proposal.report is not None and proposal.report.accepted
    assert all(not a.anchor for a in proposal.report.record.approvals)  # type: ignore[union-attr]
    refused = run_reshare(r1, r2, "k", c.op(), FAST)  # acting on the widening entry does not
    assert not refused.committed
    assert c.servers["b"].node.logbook.waiting_for_anchor("k") == 1
    shown = kc("council", "status", "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path))
    assert shown.out.count("chain unavailable") == 3, shown.text
    events = [json.loads(line) for line in (c.base / "b" / "log" / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "chain-status" and e["status"].startswith("unavailable") for e in events), [e for e in events if "chain" in e["event"]]


def test_member_toml_chain_table(tmp_path: Path) -> None:
    assert load_chain_config(tmp_path) is None
    (tmp_path / "member.toml").write_text('[chain]\nrpc = "http://x"\ncontract = "0xab"\nconfirmations = 3\n'
                                          'account = "acct.key"\n')
    cfg = load_chain_config(tmp_path)
    assert cfg == ChainConfig("http://x", "0xab", 3, tmp_path / "acct.key")
    assert load_chain_config(tmp_path, rpc="http://y", confirmations=1).rpc == "http://y"  # flags win
    (tmp_path / "member.toml").write_text('[chain]\nrpc = "http://x"\n')
    with pytest.raises(FolderError, match="both an RPC URL and a contract"):
        load_chain_config(tmp_path)
    (tmp_path / "member.toml").write_text('[chain]\nrpc = "http://x"\ncontract = "0xab"\nconfirmation = 3\n')
    with pytest.raises(FolderError, match="unknown fields"):
        load_chain_config(tmp_path)


def test_rpc_urls_are_shown_without_their_secrets(tmp_path: Path) -> None:
    url = "https://user:pw@rpc.example.net:8443/v3/SECRETKEY?token=T0KEN"
    assert shown_rpc(url) == "https://rpc.example.net:8443/…"
    text = scrub(f"HTTPConnectionPool: Max retries exceeded with url: /v3/SECRETKEY?token=T0KEN ({url})", url)
    assert "SECRETKEY" not in text and "T0KEN" not in text and "pw" not in text
    assert shown_rpc("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    (tmp_path / "rpc.url").write_text(url + "\n")
    assert rpc_from(f"@{tmp_path / 'rpc.url'}") == url and rpc_from(url) == url
