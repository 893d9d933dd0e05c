"""Monitoring a council of member processes: a Prometheus scrape of each member, a plain HTTP
health probe (serving / not serving), `member status` read locally, and a read-only auditor
credential that `council status` accepts and members refuse for ceremonies and Decrypt."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from net_helpers import APP, KEY, invoke, keycouncil, seal_versions, write_release_policy
from node_helpers import Council

from cli import main as cli_main
from council.driver.auditor import AuditorFolder
from council.driver.ceremony import run_dkg
from council.driver.client import MemberClient
from council.driver.phases import Timing
from council.localnet.ports import loopback_port
from council.protocol import tls
from council.protocol.gen import council_pb2 as pb
from council.protocol.gen import recovery_pb2, recovery_pb2_grpc
from dumps.sealer import SealingIdentity

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
FAST = Timing(call_timeout=20, retry_window=1)
NAMES = ["m1", "m2", "m3"]
EXPECTED = ("keycouncil_member_info", "keycouncil_serving 1.0", "keycouncil_insecure_mode 1.0",
            'keycouncil_ceremony_phases_total{kind="dkg",outcome="ok",phase="finalize"} 1.0',
            'keycouncil_ceremony_phases_total{kind="dkg",outcome="ok",phase="deal"} 1.0',
            'keycouncil_releases_total{decision="released",reason="released"} 1.0',
            'keycouncil_approvals_pending{kind="recovery"} 0.0',
            'keycouncil_approvals_pending{kind="council-log"} 0.0',
            f'keycouncil_log_head{{key_id="{KEY}"}}', "# TYPE keycouncil_chain_anchor_lag_seconds gauge",
            "keycouncil_ceremonies_in_flight 0.0", f'keycouncil_key_epoch{{key_id="{KEY}"}} 0.0',
            f'keycouncil_share_file_healthy{{epoch="0",key_id="{KEY}"}} 1.0',
            'keycouncil_rpc_duration_seconds_bucket{code="OK",le="+Inf",method="Deal"} 1.0',
            'keycouncil_rpc_duration_seconds_count{code="OK",method="Decrypt"}',
            'keycouncil_rpc_refusals_total{code="PERMISSION_DENIED",method="Deal"} 1.0')


@pytest.fixture
def council(tmp_path: Path) -> Iterator[Council]:
    c = Council(tmp_path)
    try:
        yield c
    finally:
        c.close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_metrics_health_member_status_and_a_read_only_auditor(council: Council, tmp_path: Path) -> None:
    c = council
    c.add_members(*NAMES)
    roster = c.roster("r1", 2, NAMES)
    ports = {n: loopback_port() for n in NAMES}
    for n in NAMES:
        write_release_policy(c.base / n)
        c.processes.spawn(n, c.base / n, ["-m", "council.localnet.member_process", "serve", str(c.base / n),
                                          "--roster", str(c.roster_files["r1"]),
                                          "--metrics", f"127.0.0.1:{ports[n]}"])
    c.wait_serving(NAMES)
    m1 = f"http://127.0.0.1:{ports['m1']}"
    assert _get(f"{m1}/healthz") == (200, "serving\n")                       # before any key too

    assert run_dkg(roster, KEY, c.op(), FAST).committed
    bundle = tmp_path / "bundle.json"
    assert keycouncil("key", "bundle", "--roster", str(c.roster_files["r1"]), "--key-id", KEY,
                      "--operator", str(c.op().path), "-o", str(bundle)).code == 0
    from council.bundle import KeyBundle

    sealer = SealingIdentity.simulated()
    c.admit_sealer(roster, KEY, sealer)  # members release only for a sealer admitted in the log
    seal_versions(tmp_path / "store", KeyBundle.loads(bundle.read_text()), [b"state" * 100], sealer)
    p = keycouncil("recover", "--roster", str(c.roster_files["r1"]), "--operator", str(c.op().path),
                   "--store", str(tmp_path / "store"), "--app", APP, "-o", str(tmp_path / "out"))
    assert p.code == 0, p.err

    # A read-only auditor: council status works with it; ceremonies and Decrypt are refused.
    cli_main._register()
    assert invoke(cli_main.cli, ["auditor", "new", str(tmp_path / "aud"), "--name", "nagios",
                                 "--insecure-no-passphrase"]).exit_code == 0
    for n in NAMES:
        added = invoke(cli_main.cli, ["member", "auditor", "add", str(c.base / n),
                                      str(tmp_path / "aud" / "auditor-card.json")])
        assert added.exit_code == 0, added.output
    st = keycouncil("council", "status", "--roster", str(c.roster_files["r1"]), "--auditor", str(tmp_path / "aud"),
                    "--json")
    assert st.code == 0, st.err
    doc = json.loads(st.out)
    assert [m["reachable"] for m in doc["members"]] == [True] * 3 and doc["keys"][0]["epoch"] == 0
    assert all(m["stale"] == [] and m["served_roster_digest"] == roster.digest().hex() for m in doc["members"])
    auditor = AuditorFolder.open(tmp_path / "aud", None)
    client = MemberClient(roster.member(1), auditor)
    try:
        refused = client.call(lambda s, t: s.Deal(pb.DealRequest(), timeout=t), 10, 0)
        assert getattr(refused, "code", "") == "PERMISSION_DENIED" and "read-only" in refused.detail, refused
        status = client.call(lambda s, t: s.Status(pb.StatusRequest(), timeout=t), 10, 0)
        assert isinstance(status, pb.StatusReply) and status.name == "m1"
    finally:
        client.close()
    ident = auditor.identity
    channel = tls.secure_channel(roster.member(1).address, roster.member(1).tls_cert.encode(), ident.tls_key_pem,
                                 ident.tls_cert_pem)
    try:
        with pytest.raises(grpc.RpcError) as exc:
            recovery_pb2_grpc.RecoveryStub(channel).Decrypt(recovery_pb2.DecryptRequest(request=b"x"), timeout=10)
        assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        channel.close()

    # The scrape: every documented family, with values from this council's history.
    code, text = _get(f"{m1}/metrics")
    assert code == 200
    (tmp_path / "m1.prom").write_text(text)
    missing = [e for e in EXPECTED if e not in text]
    assert not missing, (missing, text)

    # A plain HTTP probe: not serving while a share file is damaged, serving again once restored.
    share = c.base / "m1" / "keys" / KEY / "0" / "share.sealed"
    good = share.read_bytes()
    share.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    code, body = _get(f"{m1}/healthz")
    assert code == 503 and body.startswith(f"not serving: key {KEY} epoch 0:"), body
    assert "keycouncil_serving 0.0" in _get(f"{m1}/metrics")[1]
    share.write_bytes(good)
    assert _get(f"{m1}/healthz") == (200, "serving\n")
    assert _get(f"{m1}/nothing")[0] == 404

    # member status reads the folder without the server.
    local = invoke(cli_main.cli, ["member", "status", str(c.base / "m2"), "--json", "--check-shares", "--events", "500"])
    assert local.exit_code == 0, local.output
    m = json.loads(local.output)["member"]
    assert m["served_roster_digest"] == roster.digest().hex() and m["auditors"] == ["nagios"]
    assert m["keys"][0]["share_file"] == "ok" and m["keys"][0]["member_name"] == "m2"
    assert any(e["event"] == "committed" for e in m["last_events"])
