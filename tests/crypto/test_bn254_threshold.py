"""Threshold BLS on BN254: a DKG gives a G2 key whose t partials sign, t−1 do not, bad partials and
bad dealers are named, and a re-share keeps the key (pure functions, no ceremony machine)."""

from __future__ import annotations

from itertools import combinations

import pytest
from bn254_helpers import CTX, Epoch, reshare, run_dkg, twist_point_outside_g2

from council.crypto.bn254 import bls, sharing, vss
from council.crypto.bn254.curve import G1, G2, Fr
from council.crypto.bn254.proofs import Proof
from council.crypto.bn254.sharing import BnDealing
from council.crypto.bn254.threshold import (
    PartialSignature,
    combine,
    interpolate,
    lagrange_at_zero,
    sign_partial,
    verify_partial,
)
from council.crypto.drbg import seeded
from council.errors import CeremonyError, DecodeError, NotEnoughShares, ProofError, ShareInvalid

MSG = b"council head 7"
SIG_CTX = b"key-id|epoch-0"


@pytest.fixture(scope="module")
def epoch() -> Epoch:
    return run_dkg(5, 3)


@pytest.fixture(scope="module")
def partials(epoch: Epoch) -> dict[int, PartialSignature]:
    rng = seeded(b"partials")
    return {i: sign_partial(SIG_CTX, MSG, i, x, rng) for i, x in epoch.shares.items()}


def test_dkg_key_is_consistent(epoch: Epoch) -> None:
    out = epoch.output
    secret = sum(lam.value * epoch.shares[i].value for i, lam in lagrange_at_zero([1, 2, 3]).items())
    assert G2.base_mul(Fr.reduce(secret)) == out.public_key
    assert G1.base_mul(Fr.reduce(secret)) == out.public_key_g1
    assert all(G1.base_mul(x) == out.verification_shares[j] for j, x in epoch.shares.items())


def test_any_t_partials_make_a_signature_that_verifies(epoch: Epoch, partials: dict[int, PartialSignature]) -> None:
    signatures = {interpolate(partials[i] for i in subset).to_bytes() for subset in combinations(partials, 3)}
    assert len(signatures) == 1  # every subset gives the same (unique) BLS signature
    signature = G1.from_bytes(signatures.pop())
    # combine verifies the combined signature with one pairing check
    result = combine(SIG_CTX, MSG, [partials[i] for i in (5, 2, 4)], epoch.output.verification_shares,
                     3, epoch.output.public_key)
    assert result.signature == signature and result.used == (2, 4, 5) and not result.culprits


def test_t_minus_one_partials_do_not(epoch: Epoch, partials: dict[int, PartialSignature]) -> None:
    assert not bls.verify(epoch.output.public_key, MSG, interpolate([partials[1], partials[2]]))
    with pytest.raises(NotEnoughShares, match="2 valid partial signatures, 3 needed"):
        combine(SIG_CTX, MSG, [partials[1], partials[2]], epoch.output.verification_shares, 3,
                epoch.output.public_key)


def test_every_partial_proof_verifies(epoch: Epoch, partials: dict[int, PartialSignature]) -> None:
    from council.crypto.bn254.hash_to_curve import hash_to_g1
    hashed = hash_to_g1(MSG)
    for i, p in partials.items():
        verify_partial(SIG_CTX, hashed, p, epoch.output.verification_shares[i])
        assert PartialSignature.from_bytes(p.to_bytes()) == p
    with pytest.raises(ShareInvalid, match="member 1"):
        verify_partial(b"other context", hashed, partials[1], epoch.output.verification_shares[1])
    with pytest.raises(ShareInvalid, match="member 2"):  # someone else's share
        verify_partial(SIG_CTX, hashed, partials[2], epoch.output.verification_shares[3])


def test_bad_partial_is_named_and_skipped(epoch: Epoch, partials: dict[int, PartialSignature]) -> None:
    bad = PartialSignature(2, partials[2].sigma + G1.generator(), partials[2].proof)
    result = combine(SIG_CTX, MSG, [partials[1], bad, partials[3], partials[4]],
                     epoch.output.verification_shares, 3, epoch.output.public_key)
    assert result.used == (1, 3, 4)  # combine verified the result with its pairing check
    assert set(result.culprits) == {2} and "member 2" in result.culprits[2]
    stranger = PartialSignature(9, partials[1].sigma, partials[1].proof)
    with pytest.raises(NotEnoughShares, match="member 2.*member 9"):
        combine(SIG_CTX, MSG, [partials[1], bad, partials[3], stranger], epoch.output.verification_shares,
                3, epoch.output.public_key)


def test_reshare_keeps_the_key(epoch: Epoch) -> None:
    new = reshare(epoch, [1, 2, 3, 4], 2)
    assert new.output.public_key == epoch.output.public_key
    assert new.output.public_key_g1 == epoch.output.public_key_g1
    assert new.shares[1] != epoch.shares[1]
    rng = seeded(b"after")
    parts = [sign_partial(SIG_CTX, MSG, i, new.shares[i], rng) for i in (3, 4)]
    result = combine(SIG_CTX, MSG, parts, new.output.verification_shares, 2, new.output.public_key)
    assert result.used == (3, 4) and new.output.public_key == epoch.output.public_key


def test_reshare_dealer_with_another_secret_is_refused(epoch: Epoch) -> None:
    prev = epoch.output.previous()
    forged, _ = sharing.deal(epoch.shares[1] + Fr(1), 2, [1, 2], CTX, 1, seeded(b"x"))
    with pytest.raises(CeremonyError, match="verification share"):
        sharing.check_dealing(forged, 2, CTX, 1, prev.verification_shares[1])
    honest = [sharing.deal(epoch.shares[i], 2, [1, 2], CTX, i, seeded(b"y"))[0] for i in (2, 3)]
    weights = lagrange_at_zero([1, 2, 3])
    with pytest.raises(CeremonyError, match="do not reproduce"):
        sharing.public_output({1: forged, 2: honest[0], 3: honest[1]}, weights, [1, 2], None, prev)


def _dkg_dealings(n: int, t: int) -> tuple[dict[int, BnDealing], dict[int, dict[int, Fr]]]:
    rng = seeded(b"dealers")
    dealt = {i: sharing.deal(None, t, range(1, n + 1), CTX, i, rng) for i in range(1, n + 1)}
    return {i: d for i, (d, _) in dealt.items()}, {i: s for i, (_, s) in dealt.items()}


def test_dealer_with_a_wrong_g2_key_is_named() -> None:
    dealings, _ = _dkg_dealings(3, 2)
    d2 = dealings[2]
    dealings[2] = BnDealing(d2.commitments, G2.base_mul(Fr(7)), d2.pok)
    dealings[3] = BnDealing(dealings[3].commitments, twist_point_outside_g2(), dealings[3].pok)
    key, bad = sharing.group_key(dealings)
    assert set(bad) == {2, 3} and "does not match" in bad[2]
    assert key == dealings[1].key_g2


def test_dealer_with_a_bad_share_is_named() -> None:
    dealings, shares = _dkg_dealings(4, 2)
    mine = {i: s[3] for i, s in shares.items()}
    commitments = {i: d.commitments for i, d in dealings.items()}
    assert vss.find_bad_dealers(3, mine, commitments) == {}
    mine[4] = mine[4] + Fr(1)
    del mine[2]
    assert vss.find_bad_dealers(3, mine, commitments) == {2: "no share", 4: "share fails the Feldman check"}


def test_dkg_dealing_checks_and_codec() -> None:
    dealings, _ = _dkg_dealings(2, 2)
    d = dealings[1]
    assert BnDealing.from_bytes(d.to_bytes()) == d
    sharing.check_dealing(d, 2, CTX, 1, None)
    with pytest.raises(ProofError):
        sharing.check_dealing(d, 2, CTX, 2, None)  # proof bound to dealer 1
    with pytest.raises(CeremonyError, match="3 BN254 commitments, expected 2"):
        sharing.check_dealing(BnDealing(d.commitments + d.commitments[:1], d.key_g2, d.pok), 2, CTX, 1, None)
    with pytest.raises(CeremonyError, match="needs its BN254 constant term"):
        sharing.check_dealing(BnDealing(d.commitments), 2, CTX, 1, None)
    raw = d.to_bytes()
    for bad in (raw[:-1], raw + b"\x00", raw[:2 + 128] + b"\x02" + raw[2 + 129:], b"\x00\x00\x00"):
        with pytest.raises(DecodeError):
            BnDealing.from_bytes(bad)
    assert BnDealing.from_bytes(BnDealing(d.commitments).to_bytes()) == BnDealing(d.commitments)
    assert Proof.from_bytes(d.pok.to_bytes()) == d.pok if d.pok else False
