"""Generate tests/vectors/dump_vectors.json: known-answer dumps from a fixed seed.

Run `python tools/gen_dump_vectors.py` to rewrite the file; `--check` fails if it would change.
Each vector is a whole dump file (hex) with what opening it must give (`ok` and the plaintext, or
an error class and a message fragment) and what keyless verification must give. A second
implementation can open the `ok` vectors with the council secret and must refuse the others.
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
from dumps.format import (  # noqa: E402
    PREFIX,
    TRAILER_DOMAIN,
    TRAILER_LEN,
    Trailer,
    header_signed_message,
)
from dumps.gen import dump_pb2  # noqa: E402
from dumps.seal import seal_stream  # noqa: E402
from dumps.sealer import SealingIdentity  # noqa: E402
from dumps.target import SealTarget  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "dump_vectors.json"
SEED = b"keycouncil-dump-vectors-v1"
CHUNK = 64
NOW_MS = 1_700_000_000_000


def _split(blob: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(header, header signature, chunk area, trailer) of a well-formed dump."""
    n = int.from_bytes(blob[7:11], "big")
    return blob[11:11 + n], blob[11 + n:75 + n], blob[75 + n:-TRAILER_LEN], blob[-TRAILER_LEN:]


def _join(sealer: SealingIdentity, header: bytes, area: bytes, trailer: bytes) -> bytes:
    """Reassemble with a fresh header signature (the sealer itself wrote these bytes)."""
    sig = sealer.sign(header_signed_message(header))
    return PREFIX + len(header).to_bytes(4, "big") + header + sig + area + trailer


def _resign_trailer(sealer: SealingIdentity, header: bytes, trailer: Trailer, **changes: Any) -> bytes:
    fields = {"header_sha256": hashlib.sha256(header).digest(), "chunks_sha256": trailer.chunks_sha256,
              "plaintext_length": trailer.plaintext_length,
              "plaintext_sha256": trailer.plaintext_sha256, **changes}
    unsigned = Trailer(**fields, signature=bytes(64))
    body = unsigned.body()
    return Trailer(**fields, signature=sealer.sign(TRAILER_DOMAIN + PREFIX + body)).to_bytes()


def _seal(target: SealTarget, sealer: SealingIdentity, data: bytes, rng: RandomSource,
          version: int = 1, previous: bytes = b"") -> bytes:
    sink = io.BytesIO()
    seal_stream(io.BytesIO(data), sink, target=target, sealer=sealer, app_id="vector-app",
                dump_version=version, previous_digest=previous, chunk_size=CHUNK, rng=rng, now_ms=NOW_MS,
                format_version=1)
    return sink.getvalue()


def _digest(blob: bytes) -> bytes:
    """The dump digest of a well-formed dump (docs/dump-format.md, "Dump digest")."""
    return Trailer.from_bytes(blob[-TRAILER_LEN:]).dump_digest()


def _chain(target: SealTarget, sealer: SealingIdentity,
           rng: RandomSource) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Dumps with a non-empty previous digest (the chain link), a sealer re-labelling that link,
    and stores to choose the newest from: a chain with a rollback and a copy, and a fork."""
    versions: list[bytes] = []
    vectors = []
    for version in (1, 2, 3):
        data = rng(40 + version)
        previous = _digest(versions[-1]) if versions else b""
        blob = _seal(target, sealer, data, rng, version, previous)
        versions.append(blob)
        vectors.append({"name": f"chain: version {version}" + (f" links to version {version - 1}" if previous else
                                                                 " starts the chain"),
                        "dump": blob.hex(), "expected": "ok", "plaintext": data.hex(), "verify_expected": "ok",
                        "previous_digest": previous.hex()})
    rollback_data, fork_data = rng(41), rng(43)
    rollback = _seal(target, sealer, rollback_data, rng, 4, _digest(versions[0]))
    fork = _seal(target, sealer, fork_data, rng, 3, _digest(versions[1]))
    vectors.append({"name": "chain: version 4 re-sealed by the sealer on top of version 1 (rollback)",
                    "dump": rollback.hex(), "expected": "ok", "plaintext": rollback_data.hex(), "verify_expected": "ok",
                    "previous_digest": _digest(versions[0]).hex()})
    vectors.append({"name": "chain: a second version 3 linking to version 2 (fork)",
                    "dump": fork.hex(), "expected": "ok", "plaintext": fork_data.hex(), "verify_expected": "ok",
                    "previous_digest": _digest(versions[1]).hex()})
    header, _, area, trailer = _split(versions[1])
    msg = dump_pb2.DumpHeader.FromString(header)
    msg.previous_digest = _digest(rollback)
    relinked = msg.SerializeToString(deterministic=True)
    vectors.append({"name": "chain: previous digest re-labelled by the sealer, KEM proof still bound to the old link",
                    "dump": _join(sealer, relinked, area, _resign_trailer(sealer, relinked, Trailer.from_bytes(trailer))).hex(),
                    "expected": "ProofError", "message": "kem_ciphertext", "verify_expected": "ProofError",
                    "verify_message": "kem_ciphertext"})
    v1, v2, v3, v4, v3b = (v["name"] for v in vectors[:5])
    stores = [
        {"name": "linear chain with a rollback and a renamed copy",
         "files": {"app-0001.kcd": v1, "app-0002.kcd": v2, "app-0003.kcd": v3, "app-0004.kcd": v4,
                   "app-9999.kcd": v2},
         "expected_chain": ["app-0001.kcd", "app-0002.kcd", "app-0003.kcd"],
         "expected_skipped": {"app-0004.kcd": "chain broken at version 4", "app-9999.kcd": "duplicate copy of app-0002.kcd"}},
        {"name": "fork at version 3",
         "files": {"a-1.kcd": v1, "a-2.kcd": v2, "a-3.kcd": v3, "b-3.kcd": v3b},
         "expected_chain": ["a-1.kcd", "a-2.kcd"],
         "expected_skipped": {"a-3.kcd": "conflict: 2 authentic dumps claim version 3",
                              "b-3.kcd": "conflict: 2 authentic dumps claim version 3"}},
    ]
    return vectors, stores


def _flip(blob: bytes, offset: int) -> bytes:
    return blob[:offset] + bytes([blob[offset] ^ 0x01]) + blob[offset + 1:]


def _failures(target: SealTarget, sealer: SealingIdentity, rng: RandomSource) -> list[dict[str, Any]]:
    plain = bytes(range(200))  # 3 full chunks of 64 and a last one of 8
    base = _seal(target, sealer, plain, rng)
    header, _, area, trailer = _split(base)
    chunks = [area[i:i + CHUNK + 16] for i in range(0, len(area), CHUNK + 16)]
    body_start = len(base) - len(area) - TRAILER_LEN
    msg = dump_pb2.DumpHeader.FromString(header)
    msg.dump_version = 7
    relabelled = msg.SerializeToString(deterministic=True)
    other = _seal(target, sealer, plain, rng)
    t = Trailer.from_bytes(trailer)

    def v(name: str, blob: bytes, error: str, message: str, verify: str | None = None,
          verify_message: str | None = None) -> dict[str, Any]:
        return {"name": name, "dump": blob.hex(), "expected": error, "message": message,
                "verify_expected": verify or error, "verify_message": message if verify_message is None else verify_message}

    return [
        v("bad magic", b"KCDUMQ" + base[6:], "NotADump", "magic"),
        v("unknown format version", base[:6] + b"\x03" + base[7:], "UnsupportedVersion", "version 3"),
        v("header byte changed, not re-signed", _flip(base, 16), "HeaderSignatureInvalid", "header altered"),
        v("header with an unknown field, re-signed", _join(sealer, header + bytes([0x98, 0x06, 0x01]), area, trailer),
          "HeaderInvalid", "unknown fields"),
        v("header with a non-minimal varint, re-signed",
          _join(sealer, header.replace(bytes([0x18, 0x01]), bytes([0x18, 0x81, 0x00]), 1), area, trailer),
          "HeaderInvalid", "canonical"),
        v("dump version re-labelled by the sealer, KEM proof still bound to version 1",
          _join(sealer, relabelled, area, _resign_trailer(sealer, relabelled, t)), "ProofError", "kem_ciphertext"),
        v("header signature flipped", _flip(base, body_start - 1), "HeaderSignatureInvalid", "header signature"),
        v("chunk 1 byte flipped", _flip(base, body_start + CHUNK + 16 + 5), "ChunkAuthenticationFailed",
          "chunk 1 fails authentication", "ContentMismatch", "chunks digest"),
        v("chunks 1 and 2 swapped", base[:body_start] + chunks[0] + chunks[2] + chunks[1] + chunks[3] + trailer,
          "ChunkOutOfOrder", "position 1 is chunk 2", "ContentMismatch", "chunks digest"),
        v("chunk 1 dropped", base[:body_start] + chunks[0] + b"".join(chunks[2:]) + trailer,
          "LengthMismatch", "shorter"),
        v("chunk 1 repeated", base[:body_start] + chunks[0] + chunks[1] + b"".join(chunks[1:]) + trailer,
          "LengthMismatch", "longer"),
        v("truncated after 2 chunks", base[:body_start + 2 * (CHUNK + 16)], "DumpTruncated", "chunk boundary after 2"),
        v("trailer missing", base[:-TRAILER_LEN], "DumpTruncated", "truncated"),
        v("trailer marker damaged", _flip(base, len(base) - TRAILER_LEN), "TrailerInvalid", "marker"),
        v("trailer plaintext length changed", _flip(base, len(base) - TRAILER_LEN + 7 + 64 + 7),
          "TrailerSignatureInvalid", "trailer signature"),
        v("trailer from another dump of the same sealer", base[:-TRAILER_LEN] + other[-TRAILER_LEN:],
          "TrailerMismatch", "another header"),
        v("bytes after the trailer", base + b"\x00garbage", "TrailingData", "8 bytes follow the trailer"),
        v("sealer signed a wrong plaintext digest", base[:-TRAILER_LEN] + _resign_trailer(
            sealer, header, t, plaintext_sha256=bytes(32)), "ContentMismatch", "plaintext", "ok", ""),
    ]


def build() -> dict[str, Any]:
    rng = seeded(SEED)
    secret = Scalar.random(rng)
    target = SealTarget(P256.base_mul(secret), "vector-key", 1, hashlib.sha256(b"vector roster").digest())
    sealer = SealingIdentity.simulated(Ed25519PrivateKey.from_private_bytes(rng(32)))
    ok = []
    for size in (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 8):
        data = rng(size)
        ok.append({"name": f"{size}-byte plaintext", "dump": _seal(target, sealer, data, rng).hex(),
                   "expected": "ok", "plaintext": data.hex(), "verify_expected": "ok"})
    failures = _failures(target, sealer, rng)
    chain, stores = _chain(target, sealer, rng)
    vectors = ok + failures + chain
    for vector in vectors:
        blob = bytes.fromhex(vector["dump"])
        if vector["verify_expected"] == "ok":
            vector["digest"] = _digest(blob).hex()
    return {
        "description": "keycouncil dump vectors (docs/dump-format.md); generated by tools/gen_dump_vectors.py",
        "seed": SEED.decode(), "council_secret": secret.to_bytes().hex(),
        "council_public_key": target.public_key.to_bytes().hex(), "key_id": target.key_id,
        "epoch": target.epoch, "roster_digest": target.roster_digest.hex(), "chunk_size": CHUNK,
        "sealer_public_key": sealer.public_key.hex(),
        "vectors": vectors,
        "stores": stores,
    }


def main() -> None:
    text = json.dumps(build(), indent=1) + "\n"
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            sys.exit(f"{OUT.relative_to(ROOT)} is stale; run python tools/gen_dump_vectors.py")
        print("dump vectors up to date")
        return
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
