"""Plant the one-line bugs of issue 3/7 one at a time and check that the tests written for them fail.

Usage: python tools/mutants_issue3.py [NAME ...]   (no NAME: every mutant; --list: names only)

Each mutant replaces one exact snippet of one file (it must occur exactly once), runs only the
tests meant to kill it, and restores the file whatever happens. A mutant that passes its tests
SURVIVED: the script exits 1 and names it. This is the seed of `make mutants` (issue 3/7, Build 6).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


N = "tests/node/"
MUTANTS = [
    Mutant("authorise: signer need not be a trusted operator", "council/node/spec.py",
           "    if not any(op.signing_key == req.operator_key for r in trusted for op in r.operators):",
           "    if False:", (N + "test_authorise.py",)),
    Mutant("authorise: TLS peer need not be the operator", "council/node/spec.py",
           "    if peer_cert is not None and cert_der.get(req.operator_key.hex()) != peer_cert:",
           "    if False:", (N + "test_authorise.py",)),
    Mutant("last-chunk flag ignored (nonce)", "dumps/stream.py",
           '    return counter.to_bytes(COUNTER_LEN, "big") + (b"\\x01" if last else b"\\x00")',
           '    return counter.to_bytes(COUNTER_LEN, "big") + b"\\x00"', ("tests/dumps/test_dump_last_chunk.py",)),
    Mutant("last-chunk flag ignored (decryption accepts either)", "dumps/stream.py",
           "                aead.decrypt_into(nonce(i, is_last), record, aad, plain)\n",
           "                try:\n                    aead.decrypt_into(nonce(i, is_last), record, aad, plain)\n"
           "                except InvalidTag:\n"
           "                    aead.decrypt_into(nonce(i, not is_last), record, aad, plain)\n",
           ("tests/dumps/test_dump_last_chunk.py",)),
    Mutant("write_atomic in place, no temp, fsync or rename", "council/storage/files.py",
           "    tmp, fd = _locked_temp(path, 0o600 if secret else 0o644)\n",
           "    path.write_bytes(data)\n    return\n    tmp, fd = _locked_temp(path, 0o600 if secret else 0o644)\n",
           (N + "test_temporaries.py",)),
    Mutant("write_atomic without fsync", "council/storage/files.py",
           "            os.fsync(fd)\n            os.replace(tmp, path)",
           "            os.replace(tmp, path)", (N + "test_temporaries.py",)),
    Mutant("write_atomic rewrites the target in place", "council/storage/files.py",
           "            os.replace(tmp, path)  # still locked",
           "            path.write_bytes(data); os.unlink(tmp)  # still locked", (N + "test_temporaries.py",)),
    Mutant("write_atomic without the folder fsync", "council/storage/files.py",
           "        raise\n    fsync_dir(path.parent)\n\n\ndef _locked_temp", "        raise\n\n\ndef _locked_temp",
           (N + "test_temporaries.py",)),
    Mutant("old shares erased before the new epoch is stored", "council/node/node.py",
           "            self._store_outcome(req, p, d, outcome)\n",
           "            self._erase_older(req.request.key_id, req.request.epoch)\n"
           "            self._store_outcome(req, p, d, outcome)\n",
           (N + "test_kill_points.py::test_killed_between_sign_store_and_erase[stored]",)),
    Mutant("old shares erased without t' stored confirmations", "council/node/node.py",
           "        if self._proof(rec, [*stored, *([own] if own else [])]):",
           "        if True:", (N + "test_commit_erase.py::test_old_members_keep_their_shares_until_t_receivers_stored",)),
    Mutant("epoch.json written before share.sealed", "council/node/keystore.py",
           "        folder = self.epoch_dir(record.key_id, record.epoch)\n        if share is not None:",
           "        folder = self.epoch_dir(record.key_id, record.epoch)\n"
           "        write_json(folder / \"epoch.json\", record.to_json())\n        if share is not None:",
           (N + "test_kill_points.py::test_killed_between_sign_store_and_erase[store:share.sealed]",)),
    Mutant("bundle: t - 1 signatures suffice", "council/bundle.py",
           "        if len(valid) < self.commit.threshold:", "        if len(valid) < self.commit.threshold - 1:",
           ("tests/crypto/test_guards.py",)),
    Mutant("bundle: duplicate signatures count", "council/bundle.py",
           "        if s.member in good or s.member not in committee.members:",
           "        if s.member not in committee.members:", ("tests/crypto/test_guards.py",)),
    Mutant("re-share: constant term not checked", "council/crypto/judge.py",
           "    elif dealing.commitments[0] != spec.previous.verification_shares[dealing.dealer]:",
           "    elif False:", ("tests/crypto/test_guards.py",)),
]


def run(m: Mutant) -> bool:
    """True if the mutant was killed (its tests failed)."""
    path = ROOT / m.path
    original = path.read_text()
    if original.count(m.old) != 1:
        raise SystemExit(f"{m.name}: the snippet occurs {original.count(m.old)} times in {m.path}")
    try:
        path.write_text(original.replace(m.old, m.new))
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *m.tests],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
    finally:
        path.write_text(original)
    return res.returncode != 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        print("\n".join(m.name for m in MUTANTS))
        return 0
    chosen = [m for m in MUTANTS if not argv or m.name in argv]
    survived = []
    for m in chosen:
        killed = run(m)
        print(f"{'killed ' if killed else 'SURVIVED'}  {m.name}  ({', '.join(m.tests)})", flush=True)
        if not killed:
            survived.append(m.name)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
