"""`member backup export` argument checks, `member approve` of an unknown request, and the
release-policy file's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from net_helpers import KEY, Net, invoke

from cli.member_recovery import approve_cmd, backup, requests_cmd
from council.node.release.config import ReleaseConfigFile
from council.node.release.policy import PolicyInvalid

pytestmark = pytest.mark.timeout(30)


def test_export_refuses_non_printable_passphrase(net: Net, tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_bytes("pässwort\n".encode())
    out = tmp_path / "out"
    result = invoke(backup, ["export", str(net.council.base / "m1"), "--key-id", KEY,
                             "--backup-passphrase-file", str(secret), "-o", str(out)])
    assert result.exit_code == 2 and "printable ASCII" in result.output
    assert "pässwort" not in result.output and not out.exists()


def test_export_with_groups_and_passphrase(net: Net, tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse\n")
    result = invoke(backup, ["export", str(net.council.base / "m1"), "--key-id", KEY, "--group-threshold", "2",
                             "--group", "1/1", "--group", "2/3", "--backup-passphrase-file", str(secret),
                             "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, (result.output, result.exception)
    assert len(list((tmp_path / "out").iterdir())) == 4 and "INSECURE" not in result.output
    assert "correct horse" not in result.output


def test_export_of_unknown_key_names_it(net: Net, tmp_path: Path) -> None:
    result = invoke(backup, ["export", str(net.council.base / "m1"), "--key-id", "nokey", "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "holds no committed epoch of key 'nokey'" in str(result.exception)


def test_approve_unknown_request_is_refused(net: Net) -> None:
    folder = str(net.council.base / "m1")
    result = invoke(approve_cmd, [folder, "ab" * 16])
    assert result.exit_code != 0 and "no recovery request" in str(result.exception)
    bad = invoke(approve_cmd, [folder, "../../etc"])
    assert bad.exit_code != 0 and "expected 32..128 lowercase hex digits" in str(bad.exception)
    assert invoke(requests_cmd, [folder]).exit_code == 0


@pytest.mark.parametrize(("text", "message"), [
    ("[release]\nallow_simulted = true\n", "unknown field 'allow_simulted'"),
    ("[release]\nmanual_approval = 1\n", "release.manual_approval: expected true or false"),
    ("[release]\ncollateral = \"c\"\n", "release.collateral needs release.admission_policy"),
    ("[release]\nadmission_policy = 3\n", "release.admission_policy: expected a path"),
    ("[release\n", "not valid TOML"),
])
def test_release_policy_file_errors_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "release-policy.toml").write_text(text)
    with pytest.raises(PolicyInvalid, match=message.replace("(", "\\(")):
        ReleaseConfigFile(tmp_path).current()


def test_release_policy_defaults_when_absent(tmp_path: Path) -> None:
    config = ReleaseConfigFile(tmp_path).current()
    assert config.policy.require_admitted_sealer and not config.policy.allow_simulated
    assert config.checker is None and not config.policy.manual_approval
