"""A member's release configuration: `DIR/release-policy.toml` (docs/recovery.md, "Release policy").

    [release]
    require_admitted_sealer = true          (the four fields of council.node.release.policy.ReleasePolicy)
    allow_simulated = false
    waiting_period_seconds = 0
    manual_approval = false
    admission_policy = "policy.json"        admission policy (JSON) for the dump's sealer
    collateral = "collateral"               DCAP collateral folder (for sgx/tdx quotes)

Relative paths are taken from DIR. A missing file means the defaults: with no admission policy
and `require_admitted_sealer = true`, every request is refused (fail closed). The file is re-read
when it changes, and the admission policy on every decision, so edits and freezes take effect
without restarting the member.
"""

from __future__ import annotations

import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.errors import StorageError
from council.node.release.policy import PolicyInvalid, ReleasePolicy
from dumps.evidence import EvidenceChecker

POLICY_NAME = "release-policy.toml"
PATH_FIELDS = ("admission_policy", "collateral")


@dataclass(frozen=True)
class ReleaseConfig:
    """The release policy, the sealer admission checker (if configured) and where they came from."""

    policy: ReleasePolicy
    checker: EvidenceChecker | None
    source: str


def parse_release_config(text: str, folder: Path, where: str) -> tuple[ReleasePolicy, dict[str, Path]]:
    """The policy and the admission paths of a release-policy.toml text."""
    try:
        doc: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyInvalid(f"{where}: not valid TOML ({exc})") from None
    section = doc.get("release", doc)
    if not isinstance(section, dict):
        raise PolicyInvalid(f"{where}: release: expected a table")
    section = dict(section)
    paths: dict[str, Path] = {}
    for name in PATH_FIELDS:
        if name in section:
            value = section.pop(name)
            if not isinstance(value, str) or not value:
                raise PolicyInvalid(f"{where}: release.{name}: expected a path (string)")
            paths[name] = (folder / value) if not Path(value).is_absolute() else Path(value)
    if "collateral" in paths and "admission_policy" not in paths:
        raise PolicyInvalid(f"{where}: release.collateral needs release.admission_policy")
    return ReleasePolicy.from_mapping(section, f"{where}: release"), paths


class ReleaseConfigFile:
    """`DIR/release-policy.toml`, re-read when it changes (inode, mtime or size)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / POLICY_NAME
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._config: ReleaseConfig | None = None

    def current(self) -> ReleaseConfig:
        """The configuration as the file says now; a broken file raises (fail closed)."""
        with self._lock:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                return ReleaseConfig(ReleasePolicy(), None, f"{self.path} (absent: defaults)")
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            if stamp != self._stamp or self._config is None:
                self._config, self._stamp = self._load(), stamp
            return self._config

    def _load(self) -> ReleaseConfig:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"{self.path}: cannot read the release policy ({exc})") from None
        policy, paths = parse_release_config(text, self.folder, str(self.path))
        return ReleaseConfig(policy, _checker(paths), str(self.path))


def _checker(paths: dict[str, Path]) -> EvidenceChecker | None:
    if "admission_policy" not in paths:
        return None
    from council.attestation.policy import PolicyFile
    from dumps.admission import SealerAdmission

    return SealerAdmission(PolicyFile(paths["admission_policy"]), paths.get("collateral"))
