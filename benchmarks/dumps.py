"""Dump seal/open throughput against raw AES-256-GCM and the format's hashing floor, peak memory,
and `keycouncil dump seal` as a whole process against a bare AES-GCM loop that writes and fsyncs
the same file; each measured in one run (targets.md, "sealing and opening a dump", wave 2).

The seal/open runs happen in child processes so that their peak RSS (VmHWM) is their own. Every
throughput is the best of a few runs: the machine is shared, and the best run is the one least
disturbed by other work.
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

from benchmarks import limits

CHUNK = 1 << 20
CLI_SIZE = 512 << 20
RUNS = 3


def _raw_aes(size: int, hashing: str) -> float:
    """GB/s of a loop of bare `AESGCM.encrypt_into` calls, optionally hashing as a format does."""
    import blake3
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, data, out = AESGCM(os.urandom(32)), bytearray(os.urandom(CHUNK)), bytearray(CHUNK + 16)
    best = 0.0
    for _ in range(RUNS):
        h1, h2, h3 = hashlib.sha256(), hashlib.sha256(), blake3.blake3()
        start = time.perf_counter()
        for i in range(size // CHUNK):
            aead.encrypt_into(i.to_bytes(12, "big"), data, b"a" * 32, out)
            if hashing == "2sha256":
                h1.update(data)
                h2.update(out)
            elif hashing == "blake3":
                h3.update(out)
        best = max(best, size / (time.perf_counter() - start) / 1e9)
    return best


def _tmpfs_write(size: int) -> float:
    """GB/s of bare 1 MiB writes of `size` bytes to a new file in /dev/shm (best of RUNS): the
    ceiling of any row that writes its output there."""
    block, best = os.urandom(CHUNK + 16), 0.0
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
            start = time.perf_counter()
            with open(Path(tmp) / "w.bin", "wb", buffering=0) as f:
                for _ in range(size // CHUNK):
                    f.write(block)
            best = max(best, size / (time.perf_counter() - start) / 1e9)
    return best


def _peak_rss_mib() -> float:
    """VmHWM of this process (unlike ru_maxrss, it is not inherited across fork and exec)."""
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _child(size: int, folder: Path, format_version: int = 2) -> dict[str, float]:
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
    seal = opened = 0.0
    for run in range(RUNS):
        dump, out = folder / f"b{run}.kcd", folder / f"b{run}.out"
        start = time.perf_counter()
        seal_dump(Pattern(size), dump, target=target, sealer=sealer, app_id="bench", dump_version=1,
                  format_version=format_version)
        seal = max(seal, size / (time.perf_counter() - start) / 1e9)
        start = time.perf_counter()
        open_dump(dump, out, key_from_secret(secret, target.public_key))
        opened = max(opened, size / (time.perf_counter() - start) / 1e9)
        dump.unlink()
        out.unlink()
    peak = _peak_rss_mib()
    return {"seal": seal, "open": opened, "rss_growth_mib": peak - base_rss,
            "rss_peak_mib": peak, "rss_base_mib": base_rss}


def _stream_child(size: int, format_version: int = 2) -> dict[str, float]:
    """The format alone, no file system: seal_stream from a pattern source into RAM, then
    decrypt_stream of that chunk area from RAM into a sink that discards (best of RUNS)."""
    import io

    from council.crypto.group import P256, Scalar
    from dumps import SealingIdentity, SealTarget, seal_stream
    from dumps.format import chunk_area_length
    from dumps.open import key_from_secret
    from dumps.stream import decrypt_stream
    from dumps.trailers import trailer_length

    class Discard(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[no-untyped-def]
            return len(b)

    class Keep(io.RawIOBase):
        """Keeps the dump in one preallocated bytearray (no reallocation while sealing)."""

        def __init__(self, n: int) -> None:
            self.buf, self.pos = bytearray(n), 0

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[no-untyped-def]
            n = len(b)
            self.buf[self.pos:self.pos + n] = b
            self.pos += n
            return n

    block = os.urandom(CHUNK)
    secret = Scalar.random()
    target = SealTarget(P256.base_mul(secret), "bench", 0, bytes(32))
    sealer = SealingIdentity.simulated()
    seal = opened = 0.0
    area = chunk_area_length(size, CHUNK)
    for _ in range(RUNS):
        source = _Repeat(block, size)
        start = time.perf_counter()
        sealed = seal_stream(source, Discard(), target=target, sealer=sealer, app_id="bench",
                             dump_version=1, format_version=format_version)
        seal = max(seal, size / (time.perf_counter() - start) / 1e9)
    kept = Keep(sealed.size)
    sealed = seal_stream(_Repeat(block, size), kept, target=target, sealer=sealer, app_id="bench", dump_version=1,
                format_version=format_version)
    start_of_area = sealed.size - trailer_length(format_version) - area
    body = memoryview(kept.buf)[start_of_area:start_of_area + area]
    header = sealed.header
    key = key_from_secret(secret, target.public_key)(header, header.kem(), header.label())
    source = io.BytesIO(body)
    body.release()
    del kept
    for _ in range(RUNS):
        source.seek(0)
        start = time.perf_counter()
        decrypt_stream(source, Discard(), key, sealed.trailer.header_sha256, CHUNK, area,
                       None, format_version)
        opened = max(opened, size / (time.perf_counter() - start) / 1e9)
    return {"seal": seal, "open": opened}


class _Repeat:
    """`size` bytes made of one block, handed out by readinto (a source that costs one memcpy)."""

    def __init__(self, block: bytes, size: int) -> None:
        self.block, self.left = memoryview(block), size

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = min(len(b), self.left, len(self.block))
        b[:n] = self.block[:n]
        self.left -= n
        return n


def _run_stream_child(size: int, format_version: int = 2) -> dict[str, float]:
    code = ("import json; from benchmarks.dumps import _stream_child; "
            f"print(json.dumps(_stream_child({size}, {format_version})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=1800)
    return dict(json.loads(out.stdout))


def _run_child(size: int, where: str | None, format_version: int = 2) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        code = ("import json, pathlib; from benchmarks.dumps import _child; "
                f"print(json.dumps(_child({size}, pathlib.Path({tmp!r}), {format_version})))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=1800)
    return dict(json.loads(out.stdout))


BARE_LOOP = r"""
import os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
chunk = 1 << 20
aead, buf, out = AESGCM(os.urandom(32)), bytearray(chunk), bytearray(chunk + 16)
with open(sys.argv[1], "rb", buffering=0) as src, open(sys.argv[2], "wb", buffering=0) as dst:
    i = 0
    while True:
        n = src.readinto(buf)
        if not n:
            break
        record = memoryview(out)[: n + 16]
        aead.encrypt_into(i.to_bytes(12, "big"), memoryview(buf)[:n], b"", record)
        dst.write(record)
        i += 1
    os.fsync(dst.fileno())
"""


def _bench_bundle(folder: Path) -> tuple[Path, Path]:
    """A key bundle signed by a 2-of-3 roster and a simulated signer folder, for the CLI."""
    from council.bundle import KeyBundle
    from council.crypto.group import P256, Scalar
    from council.crypto.messages import CommitSignature, EpochCommit, sign
    from council.crypto.signing import Signer
    from council.roster import MemberCard, Roster
    from dumps.sealer import SealingIdentity

    signers = [Signer.from_seed(os.urandom(32)) for _ in range(3)]
    cards = tuple(MemberCard(f"m{i + 1}", f"in-process:m{i + 1}", s.public_key,
                             P256.base_mul(Scalar.random()).to_bytes(), "none") for i, s in enumerate(signers))
    roster = Roster(2, cards)
    commit = EpochCommit("bench-key", 1, roster.digest(), 2, P256.base_mul(Scalar.random()), bytes(32), bytes(32))
    sigs = tuple(CommitSignature(i + 1, sign(s, EpochCommit.KIND, i + 1, commit.to_bytes()).signature)
                 for i, s in enumerate(signers[:2]))
    bundle = folder / "bundle.json"
    bundle.write_text(KeyBundle(commit, sigs, roster).dumps())
    SealingIdentity.simulated().save(folder / "signer")
    return bundle, folder / "signer"


def _timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole child process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=900, cwd=cwd, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def cli_seal(size: int = CLI_SIZE, where: str | None = None, code_root: Path | None = None,
             runs: int = RUNS) -> dict[str, float]:
    """Best wall and CPU time of `keycouncil dump seal` (a whole process) and of the bare loop
    (also a whole process) on the same `size`-byte input file, output on disk, alternating.
    `code_root` runs another checkout's CLI (for before/after figures)."""
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        folder = Path(tmp)
        bundle, signer = _bench_bundle(folder)
        source = folder / "input.bin"
        with open(source, "wb") as f:
            block = os.urandom(CHUNK)
            for _ in range(size // CHUNK):
                f.write(block)
            os.fsync(f.fileno())
        env = dict(os.environ)
        cwd = None
        if code_root is not None:
            env["PYTHONPATH"], cwd = str(code_root), code_root
        cli = [sys.executable, "-c", "from cli.main import main; main()"]
        best = {"cli_wall": 1e9, "cli_cpu": 1e9, "bare_wall": 1e9, "bare_cpu": 1e9}
        for run in range(runs):
            out = folder / f"out{run}.kcd"
            wall, cpu = _timed(cli + ["dump", "seal", "--bundle", str(bundle), "--signer", str(signer),
                                      "--app", "bench", "--version", "1", "--previous", "none",
                                      str(source), "-o", str(out)], cwd, env)
            best["cli_wall"], best["cli_cpu"] = min(best["cli_wall"], wall), min(best["cli_cpu"], cpu)
            out.unlink()
            bare = folder / f"bare{run}.bin"
            wall, cpu = _timed([sys.executable, "-c", BARE_LOOP, str(source), str(bare)])
            best["bare_wall"], best["bare_cpu"] = min(best["bare_wall"], wall), min(best["bare_cpu"], cpu)
            bare.unlink()
        startup, _ = _timed(cli + ["dump", "--help"], cwd, env)
        best["cli_startup_wall"] = startup
    return best


def section(quick: bool) -> str:
    size = (64 if quick else 1024) << 20
    child = _run_child(size, os.environ.get("KEYCOUNCIL_BENCH_DIR"))
    shm_ok = os.path.isdir("/dev/shm")
    shm = _run_child(size, "/dev/shm") if shm_ok else None
    shm_v1 = _run_child(size, "/dev/shm", 1) if shm_ok else None
    ram, ram_v1 = _run_stream_child(size), _run_stream_child(size, 1)
    tmpfs = _tmpfs_write(size) if shm_ok else None
    raw, floor, floor_v1 = _raw_aes(size, ""), _raw_aes(size, "blake3"), _raw_aes(size, "2sha256")
    cli = cli_seal((64 if quick else 512) << 20, os.environ.get("KEYCOUNCIL_BENCH_DIR"))
    cli_mib = (64 if quick else 512)

    def row(what: str, gbs: float) -> str:
        return f"| {what} | {gbs:.2f} | {gbs / raw:.2f} | {gbs / floor:.2f} |"

    mib = f"{size >> 20} MiB"
    limits.record(f"seal v2 in memory (streams in RAM), {mib}, × raw AES-GCM", ram["seal"] / raw, 0.3, "×",
                  at_most=False, source="Dump seal and open")
    limits.record(f"open v2 in memory (streams in RAM), {mib}, × raw AES-GCM", ram["open"] / raw, 0.3, "×",
                  at_most=False, source="Dump seal and open")
    if shm:
        limits.record(f"seal v2 to a file in /dev/shm, {mib}, × raw AES-GCM (bare tmpfs writes, its "
                      f"ceiling: {(tmpfs or 0) / raw:.2f}×)", shm["seal"] / raw, 0.3, "×", at_most=False,
                      source="Dump seal and open")
    limits.record(f"`keycouncil dump seal` of {cli_mib} MiB to disk, whole process, × bare AES-GCM loop",
                  cli["bare_wall"] / cli["cli_wall"], 0.8, "×", at_most=False, source="Dump seal and open")

    return "\n".join([
        "## Dump seal and open throughput",
        "",
        f"{size >> 20} MiB of data, 1 MiB chunks, best of {RUNS} runs. Raw AES-256-GCM is a loop of bare "
        "`AESGCM.encrypt_into` calls; the v2 floor adds the one BLAKE3 pass over the ciphertext that "
        "format version 2 needs, on the same core (the v1 floor: two SHA-256 passes, plaintext and "
        f"ciphertext: {floor_v1:.2f} GB/s). v2 hashes beside AES-GCM and I/O (sealing shares the hashing "
        "and the writes, each in record order, between whichever of the two threads is free, over four "
        "record slots; opening reads ahead and hashes on the worker; decisions.md #113, #120, #134); v1 runs its "
        "plaintext SHA-256 on the calling thread and its records' SHA-256 through the same pipeline (decisions.md #21). "
        "The in-memory rows (files in /dev/shm) take the disk out of the picture. "
        "Target (wave 2): ≥ 0.3 × raw AES-GCM in memory; peak memory ≤ 64 MiB.",
        "",
        "| what | GB/s | × raw AES-GCM | × AES-GCM + BLAKE3 floor |",
        "|---|---|---|---|",
        row("raw AES-256-GCM", raw),
        row("AES-GCM + BLAKE3 (single core)", floor),
        row("seal_dump v2, file on disk (fsync)", child["seal"]),
        row("open_dump v2, file on disk (fsync)", child["open"]),
        *([row("bare 1 MiB writes to a file in /dev/shm (ceiling of the /dev/shm rows)", tmpfs)]
          if tmpfs else []),
        *([row("**seal_dump v2, file in memory (/dev/shm)**", shm["seal"]),
           row("**open_dump v2, file in memory (/dev/shm)**", shm["open"])] if shm else []),
        *([row("seal_dump v1, file in memory (/dev/shm)", shm_v1["seal"]),
           row("open_dump v1, file in memory (/dev/shm)", shm_v1["open"])] if shm_v1 else []),
        row("**seal v2, streams in RAM (no file system)**", ram["seal"]),
        row("**open v2, streams in RAM (no file system)**", ram["open"]),
        row("seal v1, streams in RAM (no file system)", ram_v1["seal"]),
        row("open v1, streams in RAM (no file system)", ram_v1["open"]),
        "",
        "The RAM rows are the format's own cost: `seal_stream` from a source that copies one block "
        "into the chunk buffer, to a sink that discards; `decrypt_stream` of the sealed chunk area held "
        "in RAM, to a sink that discards. The /dev/shm rows add tmpfs, whose bare writes are measured "
        "in the row above.",
        "",
        f"Peak RSS (VmHWM) of the v2 child process: **{child['rss_peak_mib']:.1f} MiB** in all, of which "
        f"{child['rss_base_mib']:.1f} MiB were reached before sealing began (interpreter and imports): "
        f"{RUNS} × (seal + open) of {size >> 20} MiB added **{child['rss_growth_mib']:.1f} MiB**.",
        "",
        f"`keycouncil dump seal` of a {cli_mib} MiB file to disk, as a whole process (interpreter "
        "start, imports, KEM, sealing, fsync), against a bare loop (a whole `python -c` process) that "
        "reads the same file in 1 MiB blocks, AES-GCM-encrypts them, writes and fsyncs the output. "
        f"Best of {RUNS}, alternating. Target: ≥ 0.8 × the bare loop.",
        "",
        "| what | wall s | CPU s | × bare loop (wall) |",
        "|---|---|---|---|",
        f"| bare AES-GCM loop, write + fsync | {cli['bare_wall']:.2f} | {cli['bare_cpu']:.2f} | 1.00 |",
        f"| **keycouncil dump seal** | {cli['cli_wall']:.2f} | {cli['cli_cpu']:.2f} | "
        f"**{cli['bare_wall'] / cli['cli_wall']:.2f}** |",
        f"| (keycouncil dump --help: start-up alone) | {cli['cli_startup_wall']:.2f} | | |",
        "",
    ])


def _main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dumps", description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a first look")
    parser.add_argument("--cli", nargs="?", const="", metavar="ROOT", default=None,
                        help="only `keycouncil dump seal` against the bare loop (JSON), with the code of ROOT if given")
    args = parser.parse_args(argv)
    if args.cli is not None:
        print(json.dumps(cli_seal(code_root=Path(args.cli) if args.cli else None), indent=1))
    else:
        print(section(args.quick))


if __name__ == "__main__":
    _main()
