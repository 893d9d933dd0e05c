"""Known-answer vectors: the checked-in file matches the generator and every vector re-verifies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from council.crypto import decryption as dec
from council.crypto import dleq, ecies, kem, schnorr
from council.crypto.dleq import DleqProof
from council.crypto.ecies import EciesCiphertext
from council.crypto.group import P256, Point, Scalar
from council.crypto.hashing import expand_message_xmd, hash_to_scalar
from council.crypto.kem import KemCiphertext
from council.crypto.lagrange import lagrange_at_zero
from council.crypto.schnorr import SchnorrProof
from council.errors import ProofError

ROOT = Path(__file__).resolve().parents[2]
V = json.loads((ROOT / "tests" / "vectors" / "crypto_vectors.json").read_text())
h = bytes.fromhex


def test_generator_reproduces_the_file() -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_crypto_vectors.py"), "--check"], check=True, timeout=60)


def test_base_mul_and_hashing() -> None:
    for v in V["base_mul"]:
        assert P256.base_mul(Scalar.from_bytes(h(v["k"]))).to_bytes().hex() == v["kG"]
    for v in V["expand_message_xmd"]:
        assert expand_message_xmd(h(v["msg"]), v["dst"].encode(), v["len"]).hex() == v["out"]
    assert V["expand_message_xmd"][0]["out"] == "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235"
    for v in V["hash_to_scalar"]:
        assert hash_to_scalar(v["purpose"], *map(h, v["parts"])).to_bytes().hex() == v["scalar"]
    for v in V["lagrange"]:
        got = lagrange_at_zero(v["indices"])
        assert {str(i): c.to_bytes().hex() for i, c in got.items()} == v["coefficients"]


def test_proofs() -> None:
    for v in V["schnorr"]:
        schnorr.verify(v["purpose"], h(v["ctx"]), Point.from_bytes(h(v["public"])), SchnorrProof.from_bytes(h(v["proof"])))
    for v in V["dleq"]:
        args = (Point.from_bytes(h(v["x"])), Point.from_bytes(h(v["h"])), Point.from_bytes(h(v["w"])))
        dleq.verify(v["purpose"], h(v["ctx"]), *args, DleqProof.from_bytes(h(v["proof"])))
        with pytest.raises(ProofError):
            dleq.verify(v["purpose"], h(v["ctx"]) + b"x", *args, DleqProof.from_bytes(h(v["proof"])))


def test_kem_decryption_share_and_ecies() -> None:
    for v in V["kem"]:
        ct = KemCiphertext.from_bytes(h(v["ciphertext"]))
        secret, y = Scalar.from_bytes(h(v["secret"])), Point.from_bytes(h(v["public_key"]))
        if v["valid"]:
            assert kem.decapsulate(ct, h(v["label"]), secret, y).hex() == v["data_key"]
        else:
            with pytest.raises(ProofError):
                kem.decapsulate(ct, h(v["label"]), secret, y)
    for v in V["decryption_share"]:
        ctx = dec.DecryptionContext(v["key_id"], v["epoch"], h(v["request_id"]))
        dec.verify_share(ctx, KemCiphertext.from_bytes(h(v["ciphertext"])),
                         dec.DecryptionShare.from_bytes(h(v["share"])), Point.from_bytes(h(v["verification_share"])))
    for v in V["ecies"]:
        plain = ecies.open_(Scalar.from_bytes(h(v["secret"])), EciesCiphertext.from_bytes(h(v["ciphertext"])), h(v["info"]))
        assert plain.hex() == v["plaintext"]
