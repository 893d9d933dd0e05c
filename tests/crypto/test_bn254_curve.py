"""BN254 wrappers: EVM encodings round-trip, decoders refuse every malformed input, and the fast
paths (comb, window, Straus, Pippenger, ψ subgroup check) agree with py_ecc's plain arithmetic."""

from __future__ import annotations

import pytest
from bn254_helpers import twist_point_outside_g2
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.optimized_bn128 import optimized_curve as ref

from council.crypto.bn254.curve import (
    G1,
    G2,
    Fr,
    P,
    R,
    double_mul,
    final_exponentiate,
    horner,
    multi_scalar_mul,
    pairing_check,
)
from council.crypto.bn254.sharing import BnDealing
from council.crypto.bn254.threshold import PartialSignature
from council.crypto.drbg import seeded
from council.errors import DecodeError

RNG = seeded(b"bn254-curve")


def test_g1_generator_encoding_is_the_evm_one() -> None:
    assert G1.generator().to_bytes() == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")


def test_g2_generator_encoding_is_eip197_order() -> None:
    # EIP-197 lists the generator as x = 1155…5634·i + 1085…5781, imaginary word first.
    words = G2.generator().words()
    assert words[0] == 11559732032986387107991004021392285783925812861821192530917403151452391805634
    assert words[1] == 10857046999023057135944570762232829481370756359578518086990519993285655852781


def test_round_trips() -> None:
    k = Fr.random(RNG)
    for point, kind in ((G1.base_mul(k), G1), (G2.base_mul(k), G2)):
        assert kind.from_bytes(point.to_bytes()) == point
    assert Fr.from_bytes(k.to_bytes()) == k


def test_fast_multiplications_match_py_ecc() -> None:
    k, m = Fr.random(RNG), Fr.random(RNG)
    g1 = G1.generator()
    assert ref.eq(G1.base_mul(k).to_py_ecc(), ref.multiply(ref.G1, k.value))
    assert ref.eq((g1 * k).to_py_ecc(), ref.multiply(ref.G1, k.value))
    assert ref.eq(G2.base_mul(k)._p, ref.multiply(ref.G2, k.value))
    p = g1 * m
    assert double_mul(k, g1, m, p) == g1 * k + p * m
    assert horner([g1, p, p * k], 7) == g1 + p.mul_small(7) + (p * k).mul_small(49)
    scalars = [Fr.random(RNG) for _ in range(9)]
    points = [G1.base_mul(Fr.random(RNG)) for _ in range(9)]
    expected = G1.identity()
    for s, q in zip(scalars, points, strict=True):
        expected = expected + q * s
    assert multi_scalar_mul(scalars, points) == expected


def test_subgroup_check_agrees_with_multiplying_by_r() -> None:
    inside = G2.base_mul(Fr.random(RNG))
    outside = twist_point_outside_g2()
    assert inside.in_subgroup() and inside.mul_int(R).is_identity()
    assert not outside.in_subgroup() and not outside.mul_int(R).is_identity()
    with pytest.raises(DecodeError, match="subgroup"):
        G2.from_bytes(outside.to_bytes())
    assert G2.from_bytes(outside.to_bytes(), subgroup_check=False) == outside


def test_pairing_is_bilinear() -> None:
    a, b = Fr.random(RNG), Fr.random(RNG)
    assert pairing_check([(G1.base_mul(a * b), -G2.generator()), (G1.base_mul(a), G2.base_mul(b))])
    assert not pairing_check([(G1.base_mul(a * b + Fr(1)), -G2.generator()), (G1.base_mul(a), G2.base_mul(b))])


def test_final_exponentiation_equals_py_eccs() -> None:
    from py_ecc.optimized_bn128 import optimized_pairing

    f = optimized_pairing.pairing(G2.base_mul(Fr.random(RNG))._p, G1.base_mul(Fr.random(RNG)).to_py_ecc(),
                                  final_exponentiate=False)
    assert final_exponentiate(f) == optimized_pairing.final_exponentiate(f)


def _word(v: int) -> bytes:
    return v.to_bytes(32, "big")


@pytest.mark.parametrize(("data", "why"), [
    (b"", "expected 64 bytes"),
    (bytes(63), "expected 64 bytes"),
    (bytes(64), "infinity"),
    (_word(P) + _word(2), "below the field prime"),
    (_word(1) + _word(P + 2), "below the field prime"),
    (_word(1) + _word(3), "not on the BN254 curve"),
])
def test_g1_decoder_refuses(data: bytes, why: str) -> None:
    with pytest.raises(DecodeError, match=why):
        G1.from_bytes(data)


def test_g2_decoder_refuses() -> None:
    good = G2.generator().to_bytes()
    cases = [
        (good[:-1], "expected 128 bytes"),
        (bytes(128), "infinity"),
        (_word(P) + good[32:], "below the field prime"),
        (good[:96] + _word(P + 1), "below the field prime"),
        (good[32:64] + good[:32] + good[64:], "not on the BN254 twist"),  # real and imaginary swapped
        (good[:127] + bytes([good[127] ^ 1]), "not on the BN254 twist"),
    ]
    for data, why in cases:
        with pytest.raises(DecodeError, match=why):
            G2.from_bytes(data)


def test_scalar_decoder_refuses() -> None:
    with pytest.raises(DecodeError, match="below the BN254 group order"):
        Fr.from_bytes(_word(R))
    with pytest.raises(DecodeError, match="expected 32 bytes"):
        Fr.from_bytes(bytes(31))


_DECODERS = [G1.from_bytes, G2.from_bytes, Fr.from_bytes, BnDealing.from_bytes, PartialSignature.from_bytes]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(range(len(_DECODERS))), st.binary(max_size=400))
def test_decoders_fuzz(which: int, data: bytes) -> None:
    """Arbitrary bytes give a value or a DecodeError, never another exception."""
    try:
        _DECODERS[which](data)
    except DecodeError:
        pass


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 64 * 8 - 1))
def test_flipped_bit_of_a_g1_point_is_refused_or_another_point(bit: int) -> None:
    data = bytearray(G1.generator().to_bytes())
    data[bit // 8] ^= 1 << (bit % 8)
    try:
        assert G1.from_bytes(bytes(data)) != G1.generator()
    except DecodeError:
        pass
