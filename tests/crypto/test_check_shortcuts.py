"""The short paths of a member's ceremony checks (decision 121) give what the long ones give.

A Schnorr check's `U = z·G − c·A` in one libcrypto call, ECIES's shared secret encoded by
libcrypto, and a member's own dealing and response, relayed back unchanged, taken without a
second signature check: each is held to the path it replaces, and a changed copy of an own
message is checked (and refused) like anyone else's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from crypto_helpers import members
from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto import ecies, libcrypto, rawec, schnorr
from council.crypto.dleq import DleqProof
from council.crypto.group import P256, Point, Q, Scalar
from council.crypto.judge import judge, valid_dealings
from council.crypto.messages import Complaint, Response, Signed, sign
from council.errors import ProofError
from council.local import dkg_spec, participants_for, roster_of

needs_libcrypto = pytest.mark.skipif(not libcrypto.AVAILABLE, reason="libcrypto 3 not on this machine")
scalars = st.integers(0, Q - 1) | st.sampled_from([0, 1, 2, Q - 1, Q // 2])


@needs_libcrypto
@settings(max_examples=60, deadline=None)
@given(scalars, scalars, st.integers(1, Q - 1))
def test_base_term_and_compressed_output_match_pycryptodome(base: int, k: int, a: int) -> None:
    p = P256.base_mul(Scalar(a))
    expected = P256.base_mul(Scalar(base)) + rawec.mul_public(p, k)
    out = libcrypto.multiply_public([p.to_uncompressed()], [k], base=base, compressed=True)
    assert (out is None) == expected.is_identity()
    if out is not None:
        assert out == expected.to_bytes() and Point.from_bytes(out) == expected
    unc = libcrypto.multiply_public([p.to_uncompressed()], [k], base=base)
    assert unc is None or unc == expected.to_uncompressed()


@needs_libcrypto
def test_a_base_term_alone_and_one_that_cancels() -> None:
    assert libcrypto.multiply_public([], [], base=5, compressed=True) == P256.base_mul(Scalar(5)).to_bytes()
    assert libcrypto.multiply_public([P256.generator.to_uncompressed()], [Q - 5], base=5) is None


@settings(max_examples=40, deadline=None)
@given(scalars, scalars, st.integers(1, Q - 1))
def test_schnorr_commitment_is_the_difference_of_the_two_products(c: int, z: int, a: int) -> None:
    """Honest or not, the U a verifier hashes is z·G − c·A, compressed (None for the identity)."""
    public = P256.base_mul(Scalar(a))
    u = P256.base_mul(Scalar(z)) - rawec.mul_public(public, c)
    got = schnorr._commitment(public, schnorr.SchnorrProof(Scalar(c), Scalar(z)))
    assert got == (None if u.is_identity() else u.to_bytes())


def test_schnorr_proofs_verify_and_every_changed_one_is_refused() -> None:
    secret = Scalar.random()
    public = P256.base_mul(secret)
    proof = schnorr.prove("POK", b"ctx", secret, public)
    schnorr.verify("POK", b"ctx", public, proof)
    for bad in (replace(proof, c=proof.c + Scalar(1)), replace(proof, z=proof.z + Scalar(1))):
        with pytest.raises(ProofError):
            schnorr.verify("POK", b"ctx", public, bad)
    with pytest.raises(ProofError):
        schnorr.verify("POK", b"other", public, proof)
    with pytest.raises(ProofError):
        schnorr.verify("POK", b"ctx", public + P256.generator, proof)
    with pytest.raises(ProofError):  # U = z·G − c·A = identity is refused
        schnorr.verify("POK", b"ctx", public, schnorr.SchnorrProof(Scalar(1), secret))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, Q - 1), st.integers(1, Q - 1))
def test_ecies_shared_secret_is_the_compressed_product(p: int, e: int) -> None:
    point = P256.base_mul(Scalar(p))
    assert ecies._shared(point, Scalar(e)) == (point * Scalar(e)).to_bytes()


def test_ecies_round_trip_and_a_complaint_key_opens_it() -> None:
    secret = Scalar.random()
    recipient = P256.base_mul(secret)
    ct = ecies.seal(recipient, b"share", b"info")
    assert ecies.open_(secret, ct, b"info") == b"share"
    assert ecies.open_with_shared(ct.ephemeral * secret, ct, recipient, b"info") == b"share"


def _ceremony(n: int = 4, t: int = 3):  # type: ignore[no-untyped-def]
    ms = members("own", n)
    spec = dkg_spec(roster_of(ms, t).committee(), "k")
    return spec, participants_for(spec, [], ms)


def _forged(s: Signed) -> Signed:
    return replace(s, signature=bytes([s.signature[0] ^ 1]) + s.signature[1:])


def test_own_dealing_relayed_back_unchanged_is_taken_and_a_changed_one_is_checked() -> None:
    spec, ps = _ceremony()
    dealings = [p.deal() for p in ps]
    own = dealings[0]
    assert own is not None
    good, bad = valid_dealings(spec, dealings, own)
    assert sorted(good) == sorted(spec.dealers.indices) and not bad
    forged = [_forged(own), *dealings[1:]]
    good, bad = valid_dealings(spec, forged, own)
    assert own.sender in bad and "signature" in bad[own.sender]
    # the participant remembers what it signed: its own forged dealing is disqualified in check
    ps[0].check(forged)
    assert ps[0]._checked is not None and own.sender in ps[0]._checked[1]


def test_own_response_relayed_back_unchanged_is_taken_and_a_changed_one_is_checked() -> None:
    spec, ps = _ceremony()
    dealings = [p.deal() for p in ps]
    responses = [p.check(dealings) for p in ps]
    own = responses[0]
    assert own is not None and all(r is not None for r in responses)
    ok = judge(spec, dealings, responses, own=own)
    assert not ok.blamed and len(ok.qualified) == len(ps)
    # a changed copy is checked, not taken as own: its signature fails, so its (false) complaint
    # counts for nothing and blames nobody (taken unchecked, it would blame member 1: decision 135)
    complaint = Complaint(2, P256.generator, DleqProof(Scalar(0), Scalar(0)))
    changed = replace(own, body=Response(spec.digest(), own.sender, (complaint,)).to_bytes())
    assert judge(spec, dealings, [changed, *responses[1:]]).blamed == {}
    assert own.sender in judge(spec, dealings, [sign(ps[0].signer, Response.KIND, own.sender, changed.body),
                                               *responses[1:]]).blamed  # the same complaint, signed
    ignored = judge(spec, dealings, [changed, *responses[1:]], own=own)
    assert not ignored.blamed and len(ignored.qualified) == len(ps)
    assert ps[0].output(responses) is not None and ps[0].outcome is not None
