"""drand evmnet's real beacons verify with our BN254 code; altered ones do not.

The vectors (tests/vectors/drand_evmnet.json) were published by drand and others; none was made
here. Flips: every bit of a signature or of the public key (decoding refuses nearly all of them,
the rest must fail the pairing check) and sampled bits of the round number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from council.crypto.bn254.bls import drand_round_message, verify
from council.crypto.bn254.curve import G1, G2
from council.crypto.bn254.hash_to_curve import DRAND_DST, hash_to_g1, keccak256
from council.errors import DecodeError

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "drand_evmnet.json").read_text())
CHAIN = VECTORS["chain"]
KEY = G2.from_bytes(bytes.fromhex(CHAIN["public_key"]))
BEACONS = VECTORS["beacons"]


def test_dst_is_evmnets() -> None:
    assert CHAIN["dst"].encode() == DRAND_DST


@pytest.mark.parametrize("case", VECTORS["hash_to_g1"], ids=lambda c: c["dst"])
def test_hash_to_g1_vectors(case: dict[str, str]) -> None:
    point = hash_to_g1(bytes.fromhex(case["message_hex"]), case["dst"].encode())
    assert point.to_bytes().hex() == case["point"]


def test_round_message_is_keccak_of_the_round() -> None:
    beacon = next(b for b in BEACONS if "message" in b)
    assert drand_round_message(beacon["round"]).hex() == beacon["message"]
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@pytest.mark.parametrize("beacon", BEACONS, ids=lambda b: str(b["round"]))
def test_real_beacon_verifies(beacon: dict[str, object]) -> None:
    signature = G1.from_bytes(bytes.fromhex(str(beacon["signature"])))
    assert verify(KEY, drand_round_message(int(str(beacon["round"]))), signature)


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def _verifies(key: bytes, round_number: int, signature: bytes) -> bool:
    try:
        return verify(G2.from_bytes(key), drand_round_message(round_number), G1.from_bytes(signature))
    except DecodeError:
        return False


def test_every_flipped_signature_bit_fails() -> None:
    beacon = BEACONS[0]
    sig = bytes.fromhex(beacon["signature"])
    survivors = []
    for bit in range(len(sig) * 8):
        try:
            G1.from_bytes(_flip(sig, bit))
            survivors.append(bit)
        except DecodeError:
            continue
    for bit in survivors:  # a flip that lands on the curve must still fail the pairing
        assert not _verifies(bytes.fromhex(CHAIN["public_key"]), beacon["round"], _flip(sig, bit))


def test_every_flipped_public_key_bit_fails() -> None:
    key = bytes.fromhex(CHAIN["public_key"])
    beacon = BEACONS[0]
    for bit in range(len(key) * 8):
        assert not _verifies(_flip(key, bit), beacon["round"], bytes.fromhex(beacon["signature"]))


@pytest.mark.parametrize("bit", [0, 31, 63])
def test_flipped_round_bit_fails(bit: int) -> None:
    beacon = BEACONS[1]
    assert not _verifies(bytes.fromhex(CHAIN["public_key"]), beacon["round"] ^ (1 << bit),
                         bytes.fromhex(beacon["signature"]))


def test_signature_of_another_round_fails() -> None:
    a, b = BEACONS[0], BEACONS[1]
    assert not _verifies(bytes.fromhex(CHAIN["public_key"]), a["round"], bytes.fromhex(b["signature"]))


def test_drand_test_beacons_verify_only_under_their_own_dst() -> None:
    """drand's own test keys for the scheme predate the label fix (SvdW map, DST says SSWU)."""
    legacy = VECTORS["drand_test_beacons"]
    dst = legacy["dst"].encode()
    beacon = legacy["beacons"][0]  # one is enough to show the map is drand's (each check is ~0.5 s)
    key = G2.from_bytes(bytes.fromhex(beacon["public_key"]))
    sig = G1.from_bytes(bytes.fromhex(beacon["signature"]))
    message = drand_round_message(beacon["round"])
    assert verify(key, message, sig, dst)
    assert not verify(key, message, sig)  # and not under evmnet's DST
