"""The contract's BLS check against real drand evmnet beacons (tests/vectors/drand_evmnet.json and
drand_evmnet_more.json): nobody here produced them, so they prove the hash to curve and the
pairing check match drand's."""

from __future__ import annotations

import json
from pathlib import Path

import chain_bls
import pytest
from py_ecc.optimized_bn128 import FQ, FQ2, FQ12, G2, final_exponentiate, neg, pairing

from council.chain.client import ChainClient
from council.chain.messages import drand_round_message
from council.errors import ChainError

pytestmark = pytest.mark.timeout(300)

_DIR = Path(__file__).resolve().parents[1] / "vectors"
_MAIN = json.loads((_DIR / "drand_evmnet.json").read_text())
_MORE = json.loads((_DIR / "drand_evmnet_more.json").read_text())
PUBKEY = bytes.fromhex(_MAIN["chain"]["public_key"])
BEACONS = [{"round": b["round"], "signature": b["signature"]} for b in _MAIN["beacons"] + _MORE["beacons"]]
# H(m) for round 9337227 as randa-mu/bls-solidity's test data gives it (test/data/testcases_bn254.json).
H_9337227 = ("1626082c3dd0751bdaaf8c3e709b5dd7cdedf45d4e81a5aa3e270f1e78924b32"
             "2bf29ab3af54dfe3c053ad4efa93db05d3586368463e9d7334c7ba61f6f4e955")


def test_vectors_are_drand_evmnet() -> None:
    assert _MAIN["chain"]["scheme"] == _MORE["scheme"] == "bls-bn254-unchained-on-g1"
    assert bytes.fromhex(_MORE["public_key"]) == PUBKEY and len(BEACONS) >= 10


def test_hash_to_point_matches_published_value(tester: tuple[ChainClient, object]) -> None:
    client, _ = tester
    x, y = client.hash_to_point(drand_round_message(9337227))
    assert (x.to_bytes(32, "big") + y.to_bytes(32, "big")).hex() == H_9337227
    assert chain_bls.g1_bytes(chain_bls.hash_to_point(drand_round_message(9337227))).hex() == H_9337227


def test_reference_pairing_accepts_a_beacon() -> None:
    """The test-side reference (py_ecc) agrees with drand too, independently of the contract."""
    beacon = BEACONS[0]
    sig = bytes.fromhex(beacon["signature"])
    w = [int.from_bytes(PUBKEY[i:i + 32], "big") for i in range(0, 128, 32)]
    pk = (FQ2([w[1], w[0]]), FQ2([w[3], w[2]]), FQ2.one())
    s = (FQ(int.from_bytes(sig[:32], "big")), FQ(int.from_bytes(sig[32:], "big")), FQ(1))
    h = chain_bls.hash_to_point(drand_round_message(beacon["round"]))
    product = pairing(neg(G2), s, final_exponentiate=False) * pairing(pk, h, final_exponentiate=False)
    assert final_exponentiate(product) == FQ12.one()


def test_every_beacon_verifies_and_no_altered_one_does(tester: tuple[ChainClient, object]) -> None:
    client, _ = tester
    for i, beacon in enumerate(BEACONS):
        sig = bytes.fromhex(beacon["signature"])
        message = drand_round_message(beacon["round"])
        assert client.verify_signature(PUBKEY, message, sig), beacon["round"]
        bit = (i * 37) % 512  # a different bit of each signature
        flipped = bytearray(sig)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            assert not client.verify_signature(PUBKEY, message, bytes(flipped))
        except ChainError as exc:  # usually no longer a curve point, or a coordinate >= p
            assert "signature" in str(exc)
    first = BEACONS[0]
    assert not client.verify_signature(PUBKEY, drand_round_message(first["round"] + 1), bytes.fromhex(first["signature"]))
    other = bytearray(PUBKEY)
    other[127] ^= 1
    with pytest.raises(ChainError, match="public key is not a valid G2 point"):
        client.verify_signature(bytes(other), drand_round_message(first["round"]), bytes.fromhex(first["signature"]))
