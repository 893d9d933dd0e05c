"""End to end with member PROCESSES (`member.toml` [chain]) and a Hardhat node: a DKG with both keys,
the signing key registered, the log anchored (one member anchors by itself with its account),
dumps announced and anchored, a widening entry accepted but not anchored refused by the members, a
re-share anchored (the contract's key unchanged, roster digest and epoch updated), a full shutdown,
recovery taking the newest version from the chain, a store hiding it refused, and the chain's
entries alone matching the members' log and rebuilding a log that `log verify` accepts."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from chain_helpers import funded_signer
from net_helpers import APP, KEY, keycouncil, write_release_policy
from node_helpers import Council

from council.chain.audit import audit_chain, chain_log, chain_state, compare
from council.chain.client import ChainClient
from council.chain.hardhat import HardhatNode, hardhat_installed
from council.chain.heads import chain_key_id
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.log_anchor import anchor_log, register_key
from council.driver.log_client import LogAppendFailed, LogClient
from council.driver.log_commands import propose_roster
from council.driver.phases import Timing
from council.driver.query import fetch_bundle
from council.storage.files import write_atomic
from dumps.sealer import SealingIdentity

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not hardhat_installed(), reason="Hardhat not installed (make hardhat)"),
]
FAST = Timing(call_timeout=30, retry_window=2)
OLD = ["m1", "m2", "m3"]
ALL = [*OLD, "m4"]


def _chain_config(folder: Path, url: str, contract: str, account: Path | None) -> None:
    lines = ["[chain]", f'rpc = "{url}"', f'contract = "{contract}"', "confirmations = 1", "poll_seconds = 0.5"]
    if account is not None:
        lines.append(f'account = "{account}"')
    (folder / "member.toml").write_text("\n".join(lines) + "\n")


def _wait(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_anchored_council_end_to_end(tmp_path: Path) -> None:
    with HardhatNode(tmp_path / "hardhat.log") as hh:
        w3 = hh.web3()
        client = ChainClient.deploy(w3, funded_signer(w3, tmp_path, "submitter"))
        funded_signer(w3, tmp_path, "m1-account")
        c = Council(tmp_path / "council")
        try:
            _run(c, hh, client, tmp_path)
        finally:
            c.close()


def _run(c: Council, hh: HardhatNode, client: ChainClient, tmp: Path) -> None:
    c.add_members(*ALL)
    r1 = c.roster("r1", 2, OLD)
    r2 = c.roster("r2", 3, ALL)
    for n in ALL:
        write_release_policy(c.base / n)
        _chain_config(c.base / n, hh.url, client.address, tmp / "m1-account.key" if n == "m1" else None)
        c.spawn(n, "r1")
    c.wait_serving(ALL)
    key32 = chain_key_id(KEY)

    # DKG with both keys; the signing key registered with proof of possession; genesis anchored.
    dkg = run_dkg(r1, KEY, c.op(), FAST, signing_key=True)
    assert dkg.committed, dkg.lines()
    bundle = fetch_bundle(r1, KEY, c.op(), FAST)
    assert bundle.signing_public_key is not None
    write_atomic(tmp / "bundle.json", bundle.dumps().encode())
    register_key(r1, KEY, c.op(), FAST, client)
    anchor_log(r1, KEY, c.op(), FAST, client)

    # Sealer admitted (widening entries: m1 anchors each as it is accepted), dumps announced.
    sealer = SealingIdentity.simulated()
    sealer.save(tmp / "signer")
    # The widened policy is accepted, but members check against the anchored one: the first
    # proposal is refused. If m1's anchor of the widening lands between the helper's two proposals
    # (it proposes, records the approvals members wait for, proposes again), the second finds them
    # waiting for approvals the helper did not record: refused either way, never admitted yet.
    with pytest.raises(LogAppendFailed,
                       match="simulated evidence is not allowed|waiting for this member's operator"):
        c.admit_sealer(r1, KEY, sealer)
    anchor_log(r1, KEY, c.op(), FAST, client)  # only once it is anchored (unless m1 was quicker)
    time.sleep(1.5)
    c.admit_sealer(r1, KEY, sealer)
    (tmp / "store").mkdir()
    payloads = [os.urandom(3000 + k) for k in range(2)]
    for k, data in enumerate(payloads, start=1):
        (tmp / f"state-{k}.bin").write_bytes(data)
        p = keycouncil("dump", "seal", "--bundle", str(tmp / "bundle.json"), "--signer", str(tmp / "signer"),
                       "--app", APP, "--version", str(k), str(tmp / f"state-{k}.bin"),
                       "-o", str(tmp / "store" / f"{APP}-v{k}.kcdump"), "--announce",
                       "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path))
        assert p.code == 0, p.err
    anchor_log(r1, KEY, c.op(), FAST, client)  # whatever m1 did not anchor by itself
    with LogClient(r1.members, c.op(), FAST) as log:
        _, records = log.read(KEY)
    assert client.record(key32).seq == len(records)
    announced = chain_state(KEY, chain_log(client, KEY)).newest(APP)
    assert announced is not None and announced.version == 2

    # Attack: a roster change accepted but not anchored (the submitting member is down) is refused.
    c.kill("m1")
    proposal = propose_roster(r2, KEY, c.op(), FAST)
    assert proposal.report is not None and proposal.report.accepted
    refused = run_reshare(r1, r2, KEY, c.op(), FAST)
    assert not refused.committed and "not accepted in the key's council log" in " ".join(refused.lines())
    anchor_log(r1, KEY, c.op(), FAST, client)
    c.spawn("m1", "r1")
    c.wait_serving(["m1"])
    time.sleep(1.5)  # the members' next look at the chain (at most once a second)
    reshare = run_reshare(r1, r2, KEY, c.op(), FAST)
    assert reshare.committed, reshare.lines()
    anchor_log(r2, KEY, c.op(), FAST, client)
    after = client.record(key32)
    assert after.pubkey == bundle.signing_public_key
    assert (after.epoch, after.roster_digest) == (1, r2.digest())

    # Full shutdown, restart, recovery: the chain decides the newest version.
    c.kill_all()
    for n in ALL:
        c.spawn(n, "r2")
    c.wait_serving(ALL)
    out = tmp / "out.bin"
    rec = keycouncil("recover", "--roster", str(c.roster_files["r2"]), "--operator", str(c.op().path),
                     "--store", str(tmp / "store"), "--app", APP, "-o", str(out), "--deadline", "60",
                     "--chain-rpc", hh.url, "--contract", client.address, timeout=180)
    assert rec.code == 0, rec.err
    assert out.read_bytes() == payloads[1]
    assert "the recovery request is anchored on chain" in rec.out + rec.err, rec.out + rec.err

    # Attack: a store hiding the newest anchored dump is refused.
    hidden = tmp / "hiding-store"
    shutil.copytree(tmp / "store", hidden)
    (hidden / f"{APP}-v2.kcdump").unlink()
    out2 = tmp / "out2.bin"
    rec2 = keycouncil("recover", "--roster", str(c.roster_files["r2"]), "--operator", str(c.op().path),
                      "--store", str(hidden), "--app", APP, "-o", str(out2), "--deadline", "30",
                      "--chain-rpc", hh.url, "--contract", client.address, timeout=180)
    assert rec2.code != 0 and not out2.exists()
    assert f"the newest announced dump of {APP} is version 2" in rec2.err, rec2.err

    # The chain alone holds the members' log (the recovery's entries anchored too, up to here).
    anchor_log(r2, KEY, c.op(), FAST, client)
    with LogClient(r2.members, c.op(), FAST) as log:
        _, records = log.read(KEY)
    assert compare(KEY, records, chain_log(client, KEY)).ok
    assert client.record(key32).seq == len(records)

    # ... and `log verify` accepts that log, rebuilt from the chain's events alone (no member asked).
    alone = keycouncil("log", "verify", "--chain-rpc", hh.url, "--contract", client.address, "--key-id", KEY)
    assert alone.code == 0, alone.out + alone.err
    assert f"OK, {len(records)} entries rebuilt from" in alone.out, alone.out
    audit = audit_chain(client, KEY)
    assert audit.ok and [e.digest for e in audit.entries] == [r.entry.digest for r in records]
    assert audit.state.epoch == 1 and audit.state.roster is not None and audit.state.roster.digest() == r2.digest()
