"""Generate tests/vectors/dump_v2_vectors.json: known-answer dumps of format version 2.

Run `python tools/gen_dump_v2_vectors.py` to rewrite the file; `--check` fails if it would change.
Same layout as the version 1 file (tools/gen_dump_vectors.py), from its own fixed seed: each vector
is a whole dump (hex) with what opening it must give (`ok` and the plaintext, or an error class and
a message fragment) and what keyless verification must give; `ok` vectors also give the dump
digest and the chunk area's BLAKE3.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from council.crypto.drbg import seeded  # noqa: E402
from council.crypto.group import P256, RandomSource, Scalar  # noqa: E402
from dumps.format import FORMAT_V1, FORMAT_V2, Trailer, header_signed_message, prefix_for  # noqa: E402
from dumps.format_v2 import TRAILER_LEN_V2, TrailerV2, chunk_hasher  # noqa: E402
from dumps.gen import dump_pb2  # noqa: E402
from dumps.seal import seal_stream  # noqa: E402
from dumps.sealer import SealingIdentity  # noqa: E402
from dumps.target import SealTarget  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "dump_v2_vectors.json"
SEED = b"keycouncil-dump-vectors-v2"
CHUNK = 64
RECORD = CHUNK + 16
NOW_MS = 1_700_000_000_000
TL = TRAILER_LEN_V2


def _seal(target: SealTarget, sealer: SealingIdentity, data: bytes, rng: RandomSource,
          dump_version: int = 1, format_version: int = FORMAT_V2) -> bytes:
    sink = io.BytesIO()
    seal_stream(io.BytesIO(data), sink, target=target, sealer=sealer, app_id="vector-app",
                dump_version=dump_version, chunk_size=CHUNK, rng=rng, now_ms=NOW_MS,
                format_version=format_version)
    return sink.getvalue()


def _split(blob: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(header, header signature, chunk area, trailer) of a well-formed version 2 dump."""
    n = int.from_bytes(blob[7:11], "big")
    return blob[11:11 + n], blob[11 + n:75 + n], blob[75 + n:-TL], blob[-TL:]


def _blake3(data: bytes) -> bytes:
    h = chunk_hasher()
    h.update(data)
    return bytes(h.digest())


def _v2_trailer(sealer: SealingIdentity, header: bytes, chunks_blake3: bytes, length: int) -> bytes:
    fields = (hashlib.sha256(header).digest(), chunks_blake3, length)
    return TrailerV2(*fields, sealer.sign(TrailerV2(*fields, bytes(64)).signed_message())).to_bytes()


def _join(sealer: SealingIdentity, header: bytes, area: bytes, trailer: bytes, version: int = FORMAT_V2) -> bytes:
    """Reassemble with a fresh header signature (the sealer itself wrote these bytes)."""
    sig = sealer.sign(header_signed_message(header, version))
    return prefix_for(version) + len(header).to_bytes(4, "big") + header + sig + area + trailer


def _flip(blob: bytes, offset: int) -> bytes:
    return blob[:offset] + bytes([blob[offset] ^ 0x01]) + blob[offset + 1:]


def _downgraded(sealer: SealingIdentity, header: bytes, area: bytes, plain: bytes) -> bytes:
    """The sealer re-signs everything as a version 1 dump, keeping the KEM ciphertext."""
    msg = dump_pb2.DumpHeader.FromString(header)
    msg.format_version = FORMAT_V1
    v1_header = msg.SerializeToString(deterministic=True)
    fields = (hashlib.sha256(v1_header).digest(), hashlib.sha256(area).digest(), len(plain),
              hashlib.sha256(plain).digest())
    trailer = Trailer(*fields, sealer.sign(Trailer(*fields, bytes(64)).signed_message())).to_bytes()
    return _join(sealer, v1_header, area, trailer, FORMAT_V1)


def _failures(target: SealTarget, sealer: SealingIdentity, rng: RandomSource) -> list[dict[str, Any]]:
    plain = bytes(range(200))  # 3 full chunks of 64 and a last one of 8
    base = _seal(target, sealer, plain, rng)
    header, _, area, trailer = _split(base)
    chunks = [area[i:i + RECORD] for i in range(0, len(area), RECORD)]
    body_start = len(base) - len(area) - TL
    msg = dump_pb2.DumpHeader.FromString(header)
    msg.dump_version = 7
    relabelled = msg.SerializeToString(deterministic=True)
    other = _seal(target, sealer, plain, rng)
    v1_dump = _seal(target, sealer, plain, rng, format_version=FORMAT_V1)

    def v(name: str, blob: bytes, error: str, message: str, verify: str | None = None,
          verify_message: str | None = None) -> dict[str, Any]:
        return {"name": name, "dump": blob.hex(), "expected": error, "message": message,
                "verify_expected": verify or error,
                "verify_message": message if verify_message is None else verify_message}

    return [
        v("bad magic", b"KCDUMQ" + base[6:], "NotADump", "magic"),
        v("unknown format version", base[:6] + b"\x03" + base[7:], "UnsupportedVersion", "version 3"),
        v("version byte says 1, header says 2", base[:6] + b"\x01" + base[7:], "HeaderInvalid",
          "does not match the prefix's version byte 1"),
        v("header byte changed, not re-signed", _flip(base, 16), "HeaderSignatureInvalid", "header altered"),
        v("header with an unknown field, re-signed", _join(sealer, header + bytes([0x98, 0x06, 0x01]), area, trailer),
          "HeaderInvalid", "unknown fields"),
        v("dump version re-labelled by the sealer, KEM proof still bound to version 1",
          _join(sealer, relabelled, area, _v2_trailer(sealer, relabelled, _blake3(area), len(plain))),
          "ProofError", "kem_ciphertext"),
        v("re-sealed as format version 1 by the sealer, KEM proof still bound to version 2",
          _downgraded(sealer, header, area, plain), "ProofError", "kem_ciphertext"),
        v("header signature flipped", _flip(base, body_start - 1), "HeaderSignatureInvalid", "header signature"),
        v("chunk 1 byte flipped", _flip(base, body_start + RECORD + 5), "ChunkAuthenticationFailed",
          "chunk 1 fails authentication", "ContentMismatch", "BLAKE3"),
        v("chunks 1 and 2 swapped", base[:body_start] + chunks[0] + chunks[2] + chunks[1] + chunks[3] + trailer,
          "ChunkOutOfOrder", "position 1 is chunk 2", "ContentMismatch", "chunks digest"),
        v("chunk 1 dropped", base[:body_start] + chunks[0] + b"".join(chunks[2:]) + trailer,
          "LengthMismatch", "shorter"),
        v("chunk 1 repeated", base[:body_start] + chunks[0] + chunks[1] + b"".join(chunks[1:]) + trailer,
          "LengthMismatch", "longer"),
        v("truncated after 2 chunks", base[:body_start + 2 * RECORD], "DumpTruncated", "chunk boundary after 2"),
        v("trailer missing", base[:-TL], "DumpTruncated", "truncated"),
        v("trailer marker damaged", _flip(base, len(base) - TL), "TrailerInvalid", "marker"),
        v("trailer plaintext length changed", _flip(base, len(base) - TL + 7 + 64 + 7),
          "TrailerSignatureInvalid", "trailer signature"),
        v("trailer from another dump of the same sealer", base[:-TL] + other[-TL:],
          "TrailerMismatch", "another header"),
        v("version 1 trailer of the same sealer", base[:-TL] + v1_dump[-175:], "DumpTruncated", "truncated"),
        v("bytes after the trailer", base + b"\x00garbage", "TrailingData", "8 bytes follow the trailer"),
        v("sealer signed a wrong chunks digest", base[:-TL] + _v2_trailer(sealer, header, bytes(32), len(plain)),
          "ContentMismatch", "BLAKE3", "ContentMismatch", "BLAKE3"),
    ]


def build() -> dict[str, Any]:
    rng = seeded(SEED)
    secret = Scalar.random(rng)
    target = SealTarget(P256.base_mul(secret), "vector-key", 1, hashlib.sha256(b"vector roster").digest())
    sealer = SealingIdentity.simulated(Ed25519PrivateKey.from_private_bytes(rng(32)))
    ok = []
    for size in (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 8):
        data = rng(size)
        blob = _seal(target, sealer, data, rng)
        _, _, area, trailer = _split(blob)
        ok.append({"name": f"{size}-byte plaintext", "dump": blob.hex(), "expected": "ok",
                   "plaintext": data.hex(), "verify_expected": "ok",
                   "chunks_blake3": _blake3(area).hex(),
                   "digest": TrailerV2.from_bytes(trailer).dump_digest().hex()})
    return {
        "description": "keycouncil dump vectors, format version 2 (docs/dump-format.md); "
                       "generated by tools/gen_dump_v2_vectors.py",
        "format_version": FORMAT_V2, "seed": SEED.decode(), "council_secret": secret.to_bytes().hex(),
        "council_public_key": target.public_key.to_bytes().hex(), "key_id": target.key_id,
        "epoch": target.epoch, "roster_digest": target.roster_digest.hex(), "chunk_size": CHUNK,
        "sealer_public_key": sealer.public_key.hex(),
        "vectors": ok + _failures(target, sealer, rng),
    }


def main() -> None:
    text = json.dumps(build(), indent=1) + "\n"
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            sys.exit(f"{OUT.relative_to(ROOT)} is stale; run python tools/gen_dump_v2_vectors.py")
        print("dump v2 vectors up to date")
        return
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
