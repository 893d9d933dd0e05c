"""Rotating a key (in-process members over gRPC): `key rotate` appends key-rotated to OLD's log once
t members approved it; `key bundle`, `dump seal` and the library then say OLD is superseded; the
rules' refusals (own successor, unknown successor, a second successor) are clear. Plus the bundle's
notices and the duration parser on bad input."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from net_helpers import invoke
from node_helpers import Council

from cli.dump import dump as dump_cli
from cli.key import key as key_cli
from cli.key import parse_duration
from council.bundle import BundleError, KeyBundle, LogNotice
from council.driver.ceremony import run_dkg
from council.driver.phases import Timing
from dumps import app
from dumps.sealer import SealingIdentity

pytestmark = pytest.mark.timeout(120)
NAMES = ["m1", "m2", "m3"]
FAST = Timing(call_timeout=20, retry_window=1)
ROTATE_GOVERNANCE = '[auto_approve]\nkinds = ["key-rotated"]\n'


@pytest.fixture
def two_keys(council: Council) -> Council:
    c = council
    c.add_members(*NAMES, governance=ROTATE_GOVERNANCE)
    roster = c.roster("r1", 2, NAMES)
    for n in NAMES:
        c.serve(n, "r1")
    for key_id in ("old", "new"):
        assert run_dkg(roster, key_id, c.op(), FAST).committed
    return c


def _rotate(c: Council, *extra: str) -> tuple[int, str]:
    result = invoke(key_cli, ["rotate", "--key-id", "old", "--roster", str(c.roster_files["r1"]), "--operator",
                              str(c.op().path), "--retry-window", "1", *extra])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_rotation_marks_the_key_superseded_everywhere(two_keys: Council, tmp_path: Path) -> None:
    c = two_keys
    code, out = _rotate(c, "--to", "new", "--json")
    report = json.loads(out)
    assert code == 0 and report["status"] == "accepted" and report["approved_by"] == NAMES, out
    assert report["kind"] == "key-rotated" and len(report["id"]) == 64

    bundle_path = tmp_path / "bundle.json"
    result = invoke(key_cli, ["bundle", "--roster", str(c.roster_files["r1"]), "--key-id", "old", "--operator",
                              str(c.op().path), "-o", str(bundle_path)])
    assert result.exit_code == 0, result.output
    assert "is SUPERSEDED by key 'new'" in result.output  # (CliRunner mixes stderr in)
    bundle = KeyBundle.load(bundle_path)
    assert bundle.superseded_by == "new" and not bundle.retired
    assert bundle.notices == (LogNotice("key-rotated", report["seq"], report["id"], "new"),)

    with pytest.warns(app.KeyNoticeWarning, match="SUPERSEDED by key 'new'"):
        target = app.load_target(bundle_path)
    assert target.superseded_by == "new" and target.notices == tuple(bundle.warnings())

    signer = tmp_path / "signer"
    SealingIdentity.simulated().save(signer)
    (tmp_path / "state").write_bytes(b"state")
    with warnings.catch_warnings():
        warnings.simplefilter("error", app.KeyNoticeWarning)  # the CLI prints it, once, not as a warning
        result = invoke(dump_cli, ["seal", "--bundle", str(bundle_path), "--signer", str(signer), "--app", "a",
                                   "--version", "1", "--previous", "none", str(tmp_path / "state"),
                                   "-o", str(tmp_path / "a-1.kcd")])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "WARNING: key 'old' is SUPERSEDED by key 'new'" in result.output

    code, out = _rotate(c, "--to", "new")
    assert code == 0 and f"already key-rotated at log entry {report['seq']}" in out, out
    code, out = _rotate(c, "--to", "other")
    assert code != 0 and "already names successor 'new'" in out, out


def test_rotation_refusals(two_keys: Council) -> None:
    c = two_keys
    code, out = _rotate(c, "--to", "old")
    assert code != 0 and "cannot be its own successor" in out, out
    code, out = _rotate(c, "--to", "nosuchkey")
    assert code != 0 and "successor key 'nosuchkey' has no council log" in out and "ceremony dkg" in out, out


def test_rotation_waits_for_operators_without_governance(council: Council) -> None:
    c = council
    c.add_members(*NAMES, governance=None)
    roster = c.roster("r1", 2, NAMES)
    for n in NAMES:
        c.serve(n, "r1")
    for key_id in ("old", "new"):
        assert run_dkg(roster, key_id, c.op(), FAST).committed
    code, out = _rotate(c, "--to", "new")
    assert code == 3 and "NOT accepted" in out and "keycouncil member approve DIR" in out, out


def test_bundle_without_notices_is_unchanged_and_bad_notices_are_refused(two_keys: Council, tmp_path: Path) -> None:
    from council.driver.query import fetch_bundle

    bundle = fetch_bundle(two_keys.roster("r1", 2, NAMES), "new", two_keys.op(), FAST)
    assert bundle.notices == () and "log_notices" not in bundle.to_json()
    assert KeyBundle.loads(bundle.dumps()).to_json() == bundle.to_json()
    base = bundle.to_json()
    good = {"kind": "key-rotated", "seq": 3, "entry_id": "ab" * 32, "successor_key_id": "k2"}
    assert KeyBundle.loads(json.dumps({**base, "log_notices": [good]})).superseded_by == "k2"
    for bad, field in (({**good, "kind": "key-frozen"}, "kind"), ({**good, "seq": 0}, "seq"),
                       ({**good, "seq": True}, "seq"), ({**good, "entry_id": "AB" * 32}, "entry_id"),
                       ({**good, "successor_key_id": ""}, "successor_key_id"),
                       ({"kind": "key-retired", "seq": 2, "entry_id": "ab" * 32, "successor_key_id": "x"},
                        "successor_key_id")):
        with pytest.raises(BundleError, match=rf"log_notices\[0\]\.{field}"):
            KeyBundle.loads(json.dumps({**base, "log_notices": [bad]}))
    with pytest.raises(BundleError, match="log_notices: expected a list"):
        KeyBundle.loads(json.dumps({**base, "log_notices": {}}))


def test_durations() -> None:
    assert parse_duration("0") == 0 and parse_duration("7d") == 7 * 86_400_000
    assert parse_duration("1d12h") == 36 * 3_600_000 and parse_duration("90s") == 90_000
    assert parse_duration("250ms") == 250 and parse_duration("2w") == 14 * 86_400_000
    for bad in ("", "7", "d", "1.5h", "-1s", "7 d", "1y", "7dd"):
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(bad)


@given(st.text(max_size=12))
def test_duration_parser_never_crashes(text: str) -> None:
    try:
        assert parse_duration(text) >= 0
    except ValueError as exc:
        assert "is not a duration" in str(exc)


def test_waiting_period_over_a_year_is_refused_by_name(tmp_path: Path) -> None:
    roster = tmp_path / "r.json"
    roster.write_text("{}")
    result = invoke(key_cli, ["retire", "--key-id", "k", "--roster", str(roster), "--operator", str(tmp_path),
                              "--waiting-period", "366d"])
    assert result.exit_code != 0 and "--waiting-period" in result.output and "365d" in result.output, result.output
