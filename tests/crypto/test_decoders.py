"""The negative checklist for every decoder: empty, truncated, flipped byte, trailing, wrong type.

Plus hypothesis fuzzing: arbitrary bytes give a value or a DecodeError, never another exception.
"""

from __future__ import annotations

import pytest
from crypto_helpers import members, run_dkg
from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto import decryption as dec
from council.crypto import dleq, ecies, kem, schnorr
from council.crypto.ceremony import Participant
from council.crypto.dleq import DleqProof
from council.crypto.ecies import EciesCiphertext
from council.crypto.group import P256, Point, Q, Scalar
from council.crypto.kem import KemCiphertext
from council.crypto.messages import Dealing, EpochCommit, Response, Signed
from council.crypto.schnorr import SchnorrProof
from council.crypto.transcript import Transcript
from council.errors import DecodeError, KeycouncilError


def _samples() -> dict[str, tuple[object, bytes]]:
    """One valid encoding of every decodable type, with its decoder."""
    x = Scalar.random()
    y = P256.base_mul(x)
    ct, _ = kem.encapsulate(y, b"label")
    ctx = dec.DecryptionContext("k", 0, b"r")
    share = dec.create_share(ctx, ct, b"label", 1, x)
    _, ps = run_dkg(members("d", 3), 2)
    p: Participant = ps[0]
    dealings, responses = p.transcript
    return {
        "point": (Point.from_bytes, y.to_bytes()),
        "scalar": (Scalar.from_bytes, x.to_bytes()),
        "schnorr": (SchnorrProof.from_bytes, schnorr.prove("POK", b"c", x, y).to_bytes()),
        "dleq": (DleqProof.from_bytes, dleq.prove("DLEQ", b"c", x, y)[1].to_bytes()),
        "kem": (KemCiphertext.from_bytes, ct.to_bytes()),
        "ecies": (EciesCiphertext.from_bytes, ecies.seal(y, b"secret", b"info").to_bytes()),
        "decryption_share": (dec.DecryptionShare.from_bytes, share.to_bytes()),
        "signed": (Signed.from_bytes, dealings[0].to_bytes()),
        "dealing": (Dealing.from_bytes, dealings[0].body),
        "response": (Response.from_bytes, responses[0].body),
        "commit": (EpochCommit.from_bytes, p.outcome.commit.to_bytes()),
        "transcript": (Transcript.from_bytes, Transcript(dealings, responses, ()).to_bytes()),
    }


SAMPLES = _samples()
FIXED_LENGTH = {"point", "scalar", "schnorr", "dleq", "kem", "decryption_share"}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_roundtrip_is_canonical(name: str) -> None:
    decode, data = SAMPLES[name]
    value = decode(data)
    assert value.to_bytes() == data


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_empty_is_refused(name: str) -> None:
    decode, _ = SAMPLES[name]
    with pytest.raises(DecodeError):
        decode(b"")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_truncation_is_refused(name: str) -> None:
    decode, data = SAMPLES[name]
    step = max(1, len(data) // 40)
    for cut in range(0, len(data), step):
        with pytest.raises(DecodeError):
            decode(data[:cut])


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_trailing_bytes_are_refused(name: str) -> None:
    decode, data = SAMPLES[name]
    with pytest.raises(DecodeError):
        decode(data + b"\x00")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_flipped_byte_never_decodes_to_the_same_value(name: str) -> None:
    decode, data = SAMPLES[name]
    original = decode(data)
    step = max(1, len(data) // 60)
    for pos in range(0, len(data), step):
        flipped = bytearray(data)
        flipped[pos] ^= 0x01
        try:
            value = decode(bytes(flipped))
        except KeycouncilError:
            continue
        assert value != original or value.to_bytes() != data


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_wrong_type_is_refused(name: str) -> None:
    """Another message's bytes, and a str instead of bytes."""
    decode, data = SAMPLES[name]
    other = next(d for n, (_, d) in sorted(SAMPLES.items()) if len(d) != len(data) and n != name)
    with pytest.raises(DecodeError):
        decode(other)
    with pytest.raises((TypeError, DecodeError)):
        decode(data.hex())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SAMPLES)), st.binary(max_size=400))
def test_fuzz_only_clean_errors(name: str, blob: bytes) -> None:
    decode, _ = SAMPLES[name]
    try:
        decode(blob)
    except DecodeError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_fuzz_mutations_only_clean_errors(name: str, data: st.DataObject) -> None:
    decode, good = SAMPLES[name]
    pos = data.draw(st.integers(0, len(good) - 1))
    val = data.draw(st.integers(0, 255))
    mutated = good[:pos] + bytes([val]) + good[pos + 1 :]
    try:
        decode(mutated)
    except DecodeError:
        pass


def test_point_specific_refusals() -> None:
    y = P256.base_mul(Scalar(7)).to_bytes()
    with pytest.raises(DecodeError, match="prefix byte"):
        Point.from_bytes(b"\x04" + y[1:])
    with pytest.raises(DecodeError, match="prefix byte"):
        Point.from_bytes(b"\x00" * 33)  # no encoding of infinity is accepted
    with pytest.raises(DecodeError, match="below the field prime"):
        Point.from_bytes(b"\x02" + b"\xff" * 32)
    off_curve = next(b"\x02" + x.to_bytes(32, "big") for x in range(1, 100) if _off(x))
    with pytest.raises(DecodeError, match="not on the P-256 curve"):
        Point.from_bytes(off_curve)
    with pytest.raises(ValueError):
        Point.identity().to_bytes()


def test_uncompressed_point_refusals() -> None:
    good = P256.base_mul(Scalar(9)).to_uncompressed()
    assert Point.from_uncompressed(good) == P256.base_mul(Scalar(9))
    cases = {
        "expected 65 bytes": good[:-1],
        "prefix byte must be 0x04": b"\x02" + good[1:],
        "below the field prime": b"\x04" + b"\xff" * 64,
        "point at infinity": b"\x04" + bytes(64),
        "not on the P-256 curve": good[:-1] + bytes([good[-1] ^ 1]),
    }
    for message, data in cases.items():
        with pytest.raises(DecodeError, match=message):
            Point.from_uncompressed(data)


def _off(x: int) -> bool:
    try:
        Point.from_bytes(b"\x02" + x.to_bytes(32, "big"))
    except DecodeError:
        return True
    return False


def test_scalar_specific_refusals() -> None:
    with pytest.raises(DecodeError, match="not below the group order"):
        Scalar.from_bytes(Q.to_bytes(32, "big"))
    with pytest.raises(DecodeError, match="expected 32 bytes"):
        Scalar.from_bytes(b"\x01" * 31)
    assert "hidden" in repr(Scalar(5))
