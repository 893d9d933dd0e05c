"""Known-answer vectors: the checked-in file matches the generator and every vector re-verifies."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from council.crypto import decryption as dec
from council.crypto import dleq, ecies, kem, schnorr
from council.crypto.dleq import DleqProof
from council.crypto.ecies import EciesCiphertext
from council.crypto.group import P256, Point, Scalar
from council.crypto.hashing import expand_message_xmd, hash_to_field, hash_to_scalar
from council.crypto.kem import KemCiphertext
from council.crypto.lagrange import lagrange_at_zero
from council.crypto.schnorr import SchnorrProof
from council.errors import NotEnoughShares, ProofError

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


def test_kem_intermediate_values() -> None:
    """The KEM vector gives Z and the HKDF salt and info, so a second implementation can
    locate a mismatch (docs/protocol.md, "KEM ciphertext and data key")."""
    v = V["kem"][0]
    ct, y = KemCiphertext.from_bytes(h(v["ciphertext"])), Point.from_bytes(h(v["public_key"]))
    z = ct.r_point * Scalar.from_bytes(h(v["secret"]))
    assert z.to_bytes().hex() == v["shared_point"]
    assert (ct.r_point.to_bytes() + y.to_bytes()).hex() == v["hkdf_salt"]
    assert kem.derive_data_key(z, ct.r_point, y, h(v["label"])).hex() == v["data_key"]
    assert h(v["hkdf_info"]) == kem.DATA_KEY_INFO + hashlib.sha256(h(v["label"])).digest()


def test_decryption_share_proof_inputs() -> None:
    """The vector spells out the proof's context and the challenge input, byte for byte."""
    for v in V["decryption_share"]:
        ctx = dec.DecryptionContext(v["key_id"], v["epoch"], h(v["request_id"]))
        ct = KemCiphertext.from_bytes(h(v["ciphertext"]))
        share = dec.DecryptionShare.from_bytes(h(v["share"]))
        assert ctx.to_bytes(ct).hex() == v["context"]
        assert v["dst"] == "KEYCOUNCIL-V1-P256-DEC-SHARE"
        c = Scalar(hash_to_field(h(v["challenge_input"]), v["dst"].encode())[0])
        y_i, proof = Point.from_bytes(h(v["verification_share"])), share.proof
        assert P256.base_mul(proof.z) == proof.u1 + y_i * c        # commitment form: U1, U2 sent
        assert ct.r_point * proof.z == proof.u2 + share.d * c


def _combine_inputs(v: dict[str, Any]) -> tuple[dec.DecryptionContext, KemCiphertext,
                                                list[dec.DecryptionShare], dict[int, Point]]:
    ctx = dec.DecryptionContext(v["key_id"], v["epoch"], h(v["request_id"]))
    ct = KemCiphertext.from_bytes(h(v["ciphertext"]))
    shares = [dec.DecryptionShare.from_bytes(h(s)) for s in v["shares"]]
    ys = {int(i): Point.from_bytes(h(p)) for i, p in v["verification_shares"].items()}
    assert ctx.to_bytes(ct).hex() == v["context"]
    return ctx, ct, shares, ys


@pytest.mark.parametrize("v", V["combine"], ids=[v["name"] for v in V["combine"]])
def test_combine_vectors(v: dict[str, Any]) -> None:
    """t > 1 combine: `ok` vectors give the members used, the culprits named, the Lagrange
    coefficients, Z and the data key; `NotEnoughShares` vectors name the culprits and fail."""
    ctx, ct, shares, ys = _combine_inputs(v)
    assert v["threshold"] > 1
    if v["expected"] == "NotEnoughShares":
        with pytest.raises(NotEnoughShares) as info:
            dec.combine(ctx, ct, shares, ys, v["threshold"])
        assert str(info.value) == v["message"]
        for i in v["culprits"]:
            assert f"member {i} (" in str(info.value)
        return
    assert v["expected"] == "ok"
    result = dec.combine(ctx, ct, shares, ys, v["threshold"])
    assert list(result.used) == v["used"]
    assert sorted(result.culprits) == v["culprits"]
    assert {str(i): why for i, why in result.culprits.items()} == v["culprit_reasons"]
    lam = lagrange_at_zero(result.used)
    assert {str(i): c.to_bytes().hex() for i, c in lam.items()} == v["lagrange"]
    assert result.shared_point.to_bytes().hex() == v["shared_point"]
    y = Point.from_bytes(h(v["public_key"]))
    assert kem.derive_data_key(result.shared_point, ct.r_point, y, h(v["label"])).hex() == v["data_key"]


def test_combine_vectors_cover_the_cases() -> None:
    """All good; a bad share named with enough left; a bad share leaving too few; another epoch."""
    cases = {(v["expected"], bool(v["culprits"])) for v in V["combine"]}
    assert cases == {("ok", False), ("ok", True), ("NotEnoughShares", True)}
    assert any("epoch" in v["name"] and v["culprits"] for v in V["combine"])
    assert len({v["data_key"] for v in V["combine"] if v["expected"] == "ok"}) == 1  # same Z from any t
