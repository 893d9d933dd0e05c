"""Dump seal/open throughput against raw AES-256-GCM and the format's hashing floor, and peak
memory, each measured in one run (targets.md, "sealing and opening a dump").

The seal/open run happens in a child process so that its peak RSS (getrusage) is its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 1 << 20


def _raw_aes(size: int, with_hashes: bool) -> float:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, data, out = AESGCM(os.urandom(32)), bytearray(os.urandom(CHUNK)), bytearray(CHUNK + 16)
    h1, h2 = hashlib.sha256(), hashlib.sha256()
    start = time.perf_counter()
    for i in range(size // CHUNK):
        aead.encrypt_into(i.to_bytes(12, "big"), data, b"a" * 32, out)
        if with_hashes:
            h1.update(data)
            h2.update(out)
    return size / (time.perf_counter() - start) / 1e9


def _peak_rss_mib() -> float:
    """VmHWM of this process (unlike ru_maxrss, it is not inherited across fork and exec)."""
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _child(size: int, folder: Path) -> dict[str, float]:
    """Seal then open `size` bytes of pattern data; report GB/s and peak RSS growth."""
    import io

    from council.crypto.group import P256, Scalar
    from dumps import SealingIdentity, SealTarget, key_from_secret, open_dump, seal_dump

    class Pattern(io.RawIOBase):
        def __init__(self, n: int) -> None:
            self.left, self.block = n, memoryview(os.urandom(CHUNK))

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
            n = min(len(b), self.left, CHUNK)
            b[:n] = self.block[:n]
            self.left -= n
            return n

    base_rss = _peak_rss_mib()
    secret = Scalar.random()
    target = SealTarget(P256.base_mul(secret), "bench", 0, bytes(32))
    sealer = SealingIdentity.simulated()
    start = time.perf_counter()
    seal_dump(Pattern(size), folder / "b.kcd", target=target, sealer=sealer, app_id="bench", dump_version=1)
    seal = size / (time.perf_counter() - start) / 1e9
    start = time.perf_counter()
    open_dump(folder / "b.kcd", folder / "b.out", key_from_secret(secret, target.public_key))
    opened = size / (time.perf_counter() - start) / 1e9
    peak = _peak_rss_mib()
    return {"seal": seal, "open": opened, "rss_growth_mib": peak - base_rss,
            "rss_peak_mib": peak, "rss_base_mib": base_rss}


def _run_child(size: int, where: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        code = f"import json, pathlib; from benchmarks.dumps import _child; print(json.dumps(_child({size}, pathlib.Path({tmp!r}))))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900)
    return dict(json.loads(out.stdout))


def section(quick: bool) -> str:
    size = (64 if quick else 1024) << 20
    child = _run_child(size, os.environ.get("KEYCOUNCIL_BENCH_DIR"))
    shm = _run_child(size, "/dev/shm") if os.path.isdir("/dev/shm") else None
    raw, floor = _raw_aes(size, False), _raw_aes(size, True)
    return "\n".join([
        "## Dump seal and open throughput",
        "",
        f"{size >> 20} MiB of data, 1 MiB chunks, files on local disk with fsync. Raw AES-256-GCM is a loop of "
        "bare `AESGCM.encrypt_into` calls; the floor adds the two SHA-256 passes the format requires "
        "(plaintext and ciphertext, decisions.md #16); one of the two runs on a second thread (decisions.md #21). "
        "The in-memory rows take the disk out of the picture. Target: ≥ 0.8 × raw AES-GCM; peak memory ≤ 64 MiB.",
        "",
        "| what | GB/s | × raw AES-GCM | × AES-GCM + 2×SHA-256 floor |",
        "|---|---|---|---|",
        f"| raw AES-256-GCM | {raw:.2f} | 1.00 | |",
        f"| AES-GCM + 2×SHA-256 (single core) | {floor:.2f} | {floor / raw:.2f} | 1.00 |",
        f"| seal_dump, file on disk | {child['seal']:.2f} | {child['seal'] / raw:.2f} | {child['seal'] / floor:.2f} |",
        f"| open_dump, file on disk | {child['open']:.2f} | {child['open'] / raw:.2f} | {child['open'] / floor:.2f} |",
        *([f"| seal_dump, file in memory (/dev/shm) | {shm['seal']:.2f} | {shm['seal'] / raw:.2f} | {shm['seal'] / floor:.2f} |",
           f"| open_dump, file in memory (/dev/shm) | {shm['open']:.2f} | {shm['open'] / raw:.2f} | {shm['open'] / floor:.2f} |"]
          if shm else []),
        "",
        f"Peak RSS (VmHWM) of the child process: **{child['rss_peak_mib']:.1f} MiB** in all, of which "
        f"{child['rss_base_mib']:.1f} MiB were reached before sealing began (interpreter and imports): "
        f"seal + open of {size >> 20} MiB added **{child['rss_growth_mib']:.1f} MiB**.",
        "",
    ])


if __name__ == "__main__":
    print(section("--quick" in sys.argv))
