"""Old import paths of modules that moved in 0.2 (docs/architecture.md): they keep working for one
release, each with a DeprecationWarning naming the new path.

A finder at the END of `sys.meta_path` answers only for names that no longer exist as files, so it
never shadows a real module. The alias module is a copy of the new module's names, not the new
module itself, so the new module's own `__spec__` and `__name__` stay true.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

REMOVED_IN = "0.3"
PACKAGES = {"council.rpc": "council.node", "council.rpc.gen": "council.protocol.gen",
            "council.demo": "cli.demo"}
MODULES = {
    "council.rpc.gen.council_pb2": "council.protocol.gen.council_pb2",
    "council.rpc.gen.council_pb2_grpc": "council.protocol.gen.council_pb2_grpc",
    "council.rpc.gen.recovery_pb2": "council.protocol.gen.recovery_pb2",
    "council.rpc.gen.recovery_pb2_grpc": "council.protocol.gen.recovery_pb2_grpc",
    "council.rpc.tls": "council.protocol.tls",
    "council.rpc.server": "council.node.server",
    "council.rpc.servicer": "council.node.ceremony_service",
    "council.rpc.recovery_servicer": "council.node.recovery_service",
    "council.node.request": "council.protocol.ceremony_request",
    "council.node.files": "council.storage.files",
    "council.node.identity": "council.storage.identity",
    "council.node.ports": "council.localnet.ports",
    "council.attestation.sealers": "dumps.admission",
    "council.demo.member_process": "council.localnet.member_process",
    "council.demo.processes": "council.localnet.council",
    "council.demo.in_process": "cli.demo.in_process",
    "council.demo.networked": "cli.demo.networked",
    "council.demo.state": "cli.demo.state",
    "recovery.request": "council.protocol.recovery_request",
    "recovery.dumpref": "council.protocol.dumpref",
    "recovery.shares": "council.protocol.shares",
    "recovery.epoch": "council.protocol.epoch",
    "recovery.errors": "council.protocol.errors",
    "recovery.backup": "council.protocol.backup",
    "recovery.backup_file": "council.protocol.backup_file",
    "recovery.local": "council.localnet.in_process_members",
    "recovery.member_backup": "council.node.backup",
    "recovery.member_cache": "council.node.release.cache",
    "recovery.member_config": "council.node.release.config",
    "recovery.member_records": "council.node.release.records",
    "recovery.member_service": "council.node.release.service",
    "recovery.policy": "council.node.release.policy",
    "recovery.release": "council.node.release.decide",
}
MOVED = {**PACKAGES, **MODULES}


class MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves each old name as a copy of the module that replaced it, with a warning."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in PACKAGES)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} moved to {new}; the old path will be removed in {REMOVED_IN}",
                      DeprecationWarning, stacklevel=2)
        target = importlib.import_module(new)
        module.__dict__.update({k: v for k, v in vars(target).items() if not k.startswith("__")})
        if module.__name__ in PACKAGES:
            module.__path__ = []


def install() -> None:
    """Add the finder once (idempotent)."""
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedFinder())
