"""Batch verification of decryption-share proofs: every bad share is still found and named.

The reference is the one-by-one rule `combine` had before batching: examine shares in index order,
verify each with `verify_share`, stop at `t` good. The batched `combine` must use the same shares
and name the same culprits with the same reasons, whatever is corrupted and wherever.
"""

from __future__ import annotations

import random
import secrets
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.crypto import decryption as dec
from council.crypto import dleq_batch, kem
from council.crypto.dleq_batch import CommittedDleqProof, DleqStatement
from council.crypto.group import P256, G, Point, Q, Scalar, multi_scalar_mul
from council.crypto.hashing import encode_parts, hash_to_scalar, hash_to_scalars
from council.crypto.lagrange import lagrange_at_zero
from council.crypto.msm import msm, signed_digits
from council.errors import DecodeError, NotEnoughShares, ProofError, ShareInvalid

N, T = 10, 7
LABEL = b"batch-label"
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORRUPTIONS = ("d", "u1", "u2", "z", "swap_proof", "other_context", "unknown_member")


@cache
def council() -> tuple[Point, dict[int, Scalar], dict[int, Point]]:
    """A Shamir sharing of a random secret: public key, shares x_i, verification shares Y_i."""
    coefficients = [Scalar.random() for _ in range(T)]
    shares = {i: Scalar.reduce(sum(c.value * i**k for k, c in enumerate(coefficients))) for i in range(1, N + 1)}
    return P256.base_mul(coefficients[0]), shares, {i: P256.base_mul(x) for i, x in shares.items()}


@cache
def valid_shares() -> tuple[dec.DecryptionContext, kem.KemCiphertext, bytes, tuple[dec.DecryptionShare, ...]]:
    y, shares, _ = council()
    ct, key = kem.encapsulate(y, LABEL)
    ctx = dec.DecryptionContext("k", 3, b"request")
    return ctx, ct, key, tuple(dec.create_share(ctx, ct, LABEL, i, shares[i]) for i in range(1, N + 1))


def corrupt(share: dec.DecryptionShare, how: str, other: dec.DecryptionShare) -> dec.DecryptionShare:
    p = share.proof
    if how == "d":
        return dec.DecryptionShare(share.index, share.d + G, p)
    if how == "u1":
        return dec.DecryptionShare(share.index, share.d, CommittedDleqProof(p.u1 + G, p.u2, p.z))
    if how == "u2":
        return dec.DecryptionShare(share.index, share.d, CommittedDleqProof(p.u1, p.u2 + G, p.z))
    if how == "z":
        return dec.DecryptionShare(share.index, share.d, CommittedDleqProof(p.u1, p.u2, p.z + Scalar(1)))
    if how == "swap_proof":
        return dec.DecryptionShare(share.index, share.d, other.proof)
    if how == "other_context":
        ctx, ct, _, _ = valid_shares()
        wrong = dec.DecryptionContext("k", 3, b"another request")
        return dec.create_share(wrong, ct, LABEL, share.index, council()[1][share.index])
    raise AssertionError(how)


def reference_combine(ctx, ct, shares, vs, t):
    """The pre-batching rule: one by one in index order, first `t` good."""
    good, culprits = [], {}
    for s in sorted(shares, key=lambda s: s.index):
        if len(good) == t:
            break
        if s.index in culprits or any(g.index == s.index for g in good):
            continue
        if s.index not in vs:
            culprits[s.index] = f"member {s.index} holds no share in epoch {ctx.epoch}"
            continue
        try:
            dec.verify_share(ctx, ct, s, vs[s.index])
            good.append(s)
        except ShareInvalid as exc:
            culprits[s.index] = str(exc)
    return tuple(g.index for g in good), culprits


@SETTINGS
@given(st.dictionaries(st.integers(1, N), st.sampled_from(CORRUPTIONS), max_size=N),
       st.randoms(use_true_random=False))
def test_any_set_of_bad_shares_is_found_and_named(bad: dict[int, str], rnd: random.Random) -> None:
    ctx, ct, key, shares = valid_shares()
    vs = dict(council()[2])
    given_shares = []
    for s in shares:
        how = bad.get(s.index)
        if how == "unknown_member":
            del vs[s.index]
            given_shares.append(s)
        elif how:
            given_shares.append(corrupt(s, how, shares[s.index % N]))
        else:
            given_shares.append(s)
    rnd.shuffle(given_shares)
    used, culprits = reference_combine(ctx, ct, given_shares, vs, T)
    if len(used) < T:
        with pytest.raises(NotEnoughShares):
            dec.combine(ctx, ct, given_shares, vs, T)
        return
    res = dec.combine(ctx, ct, given_shares, vs, T)
    assert res.used == used
    assert dict(res.culprits) == culprits
    assert set(culprits) <= set(bad)
    assert kem.derive_data_key(res.shared_point, ct.r_point, council()[0], LABEL) == key


@SETTINGS
@given(st.integers(1, N), st.sampled_from(CORRUPTIONS[:-1]))
def test_a_single_bad_proof_fails_the_batch_and_is_named(index: int, how: str) -> None:
    ctx, ct, _, shares = valid_shares()
    vs = council()[2]
    given_shares = [corrupt(s, how, shares[s.index % N]) if s.index == index else s for s in shares]
    assert set(dec.invalid_shares(ctx, ct, given_shares, vs)) == {index}
    assert "member" in dec.invalid_shares(ctx, ct, given_shares, vs)[index]


def test_all_valid_shares_pass_the_batch_and_combine_to_the_key() -> None:
    ctx, ct, key, shares = valid_shares()
    vs = council()[2]
    assert dec.invalid_shares(ctx, ct, shares, vs) == {}
    res = dec.combine(ctx, ct, reversed(shares), vs, T)
    assert res.used == tuple(range(1, T + 1)) and not res.culprits
    assert kem.derive_data_key(res.shared_point, ct.r_point, council()[0], LABEL) == key


def test_batch_weights_come_from_the_given_source_and_a_bad_proof_fails_whatever_they_are() -> None:
    ctx, ct, _, shares = valid_shares()
    vs = council()[2]
    statements = [DleqStatement(ctx.to_bytes(ct), vs[s.index], ct.r_point, s.d, s.proof) for s in shares]
    assert dleq_batch.verify_batch(dec.DEC_SHARE, statements, lambda n: b"\x00" * (n - 1) + b"\x01")
    bad = statements[:]
    bad[4] = DleqStatement(bad[4].ctx, bad[4].x, bad[4].h, bad[4].w + G, bad[4].proof)
    for draw in (secrets.token_bytes, lambda n: b"\xff" * n, lambda n: b"\x00" * (n - 1) + b"\x01"):
        assert not dleq_batch.verify_batch(dec.DEC_SHARE, bad, draw)


def test_proof_encoding_round_trips_and_refuses_bad_lengths() -> None:
    _, _, _, shares = valid_shares()
    share = shares[0]
    assert dec.DecryptionShare.from_bytes(share.to_bytes()) == share
    assert len(share.to_bytes()) == dec.SHARE_LEN == 133
    with pytest.raises(DecodeError, match="expected 133 bytes"):
        dec.DecryptionShare.from_bytes(share.to_bytes()[:-1])


@pytest.mark.parametrize("native", [False, True], ids=["bucket-method", "dispatched"])
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, Q + 5), st.integers(0, 3)), min_size=0, max_size=40))
def test_msm_matches_the_reference(native: bool, terms: list[tuple[int, int]]) -> None:
    base = [G, G + G, P256.base_mul(Scalar(12345)), -G]
    scalars, points = [k for k, _ in terms], [base[i] for _, i in terms]
    expected = multi_scalar_mul([Scalar(k % Q) for k in scalars], points) if terms else Point.identity()
    assert msm(scalars, points, native) == expected


@pytest.mark.parametrize("native", [False, True], ids=["bucket-method", "dispatched"])
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**70), 2**70) | st.integers(Q // 2 - 3, Q // 2 + 3),
                          st.integers(0, 3)), min_size=1, max_size=40))
def test_msm_takes_short_negative_scalars_on_the_negated_point(native: bool, terms: list[tuple[int, int]]) -> None:
    """Scalars above q/2 (short negative integers, Lagrange numerators) go on −P as q − k."""
    base = [G, G + G, P256.base_mul(Scalar(12345)), -G]
    scalars, points = [k for k, _ in terms], [base[i] for _, i in terms]
    assert msm(scalars, points, native) == multi_scalar_mul([Scalar(k % Q) for k in scalars], points)


@pytest.mark.parametrize("native", [False, True], ids=["bucket-method", "dispatched"])
@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from([8, 40, 128, 256]), min_size=40, max_size=180), st.randoms(use_true_random=False))
def test_msm_of_many_points_with_mixed_lengths_matches_separate_multiplications(
        native: bool, lengths: list[int], rnd: random.Random) -> None:
    """The shape of a batch check (128-bit weights beside 256-bit products): scalars of several
    lengths, so windows hold different numbers of points; repeated and opposite points included."""
    base = [P256.base_mul(Scalar(rnd.randrange(1, Q))) for _ in range(len(lengths) // 2)]
    points = [rnd.choice(base + [-b for b in base]) for _ in lengths]
    scalars = [rnd.getrandbits(b) % Q for b in lengths]
    expected = Point.identity()
    for k, p in zip(scalars, points, strict=True):
        expected = expected + p.mul_public(Scalar(k))
    assert msm(scalars, points, native) == expected


@given(st.integers(0, 2**260), st.integers(2, 9))
def test_signed_digits_recompose(k: int, c: int) -> None:
    digits = signed_digits(k, c)
    assert sum(d << (c * w) for w, d in digits) == k
    assert all(0 < abs(d) <= 1 << (c - 1) for _, d in digits)


def test_interpolation_weights_match_lagrange() -> None:
    _, _, _, shares = valid_shares()
    subset = shares[2:2 + T]
    lam = lagrange_at_zero([s.index for s in subset])
    expected = multi_scalar_mul([lam[s.index] for s in subset], [s.d for s in subset])
    assert dec.combine_unverified(subset) == expected


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(1, N), min_size=1, max_size=N))
def test_interpolation_of_any_subset_matches_lagrange_mod_q(indices: set[int]) -> None:
    """The integer Lagrange weights (and L⁻¹ when L ≠ 1) give the same point as λ_i mod q."""
    _, _, _, shares = valid_shares()
    subset = [s for s in shares if s.index in indices]
    lam = lagrange_at_zero(sorted(indices))
    expected = multi_scalar_mul([lam[s.index] for s in subset], [s.d for s in subset])
    assert dec.combine_unverified(subset) == expected
    if len(subset) >= T:
        _, ct, key, _ = valid_shares()
        assert kem.derive_data_key(dec.combine_unverified(subset), ct.r_point, council()[0], LABEL) == key


def _claims_of_many_requests(k: int) -> tuple[list[dec.ShareClaim], dict[int, Scalar]]:
    """One member's shares for `k` distinct requests (one ciphertext, distinct request ids)."""
    _, shares, vs = council()
    ct, _ = kem.encapsulate(council()[0], LABEL)
    claims = []
    for _ in range(k):
        ctx = dec.DecryptionContext("k", 0, secrets.token_bytes(16))
        claims.append(dec.ShareClaim(ctx, ct, dec.create_share(ctx, ct, LABEL, 3, shares[3]), vs[3]))
    return claims, shares


@pytest.mark.parametrize("how", ["d", "u1", "u2", "z", "other_context"])
def test_failing_claims_names_each_bad_share_of_many_requests(how: str) -> None:
    """The caller's batch check over many requests: all good passes; a corrupted share fails the
    batch and is named by its position, with verify_share's reason."""
    claims, _ = _claims_of_many_requests(12)
    assert dec.failing_claims(claims) == {}
    bad = claims[7]
    claims[7] = dec.ShareClaim(bad.ctx, bad.ciphertext, corrupt(bad.share, how, claims[2].share),
                               bad.verification_share)
    assert dec.failing_claims(claims) == {7: "decryption share of member 3: DLEQ proof does not verify"}



def test_create_share_with_the_known_verification_share_is_the_same_proof_system() -> None:
    """Passing `x_i·G` (as the member's cache does) gives a share that verifies; a wrong one gives
    a share that does not (it can never make a false proof pass)."""
    claims, shares = _claims_of_many_requests(1)
    c = claims[0]
    _, _, vs = council()
    given_right = dec.create_share(c.ctx, c.ciphertext, LABEL, 3, shares[3], verification_share=vs[3])
    given_wrong = dec.create_share(c.ctx, c.ciphertext, LABEL, 3, shares[3], verification_share=vs[4])
    dec.verify_share(c.ctx, c.ciphertext, given_right, vs[3])
    with pytest.raises(ShareInvalid):
        dec.verify_share(c.ctx, c.ciphertext, given_wrong, vs[3])



def test_create_share_with_a_known_product_is_the_same_proof_system() -> None:
    """Passing `x_i·R` (as the member's kept products do) gives the same D and a share that
    verifies; another point (another dump's product, another member's) never gives one that does."""
    claims, shares = _claims_of_many_requests(1)
    c = claims[0]
    _, _, vs = council()
    right = c.ciphertext.r_point * shares[3]
    given_right = dec.create_share(c.ctx, c.ciphertext, LABEL, 3, shares[3], product=right)
    assert given_right.d == dec.create_share(c.ctx, c.ciphertext, LABEL, 3, shares[3]).d
    dec.verify_share(c.ctx, c.ciphertext, given_right, vs[3])
    for wrong in (c.ciphertext.r_point * shares[4], right + G, G):
        given_wrong = dec.create_share(c.ctx, c.ciphertext, LABEL, 3, shares[3], product=wrong)
        with pytest.raises(ShareInvalid):
            dec.verify_share(c.ctx, c.ciphertext, given_wrong, vs[3])

@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=80), min_size=0, max_size=3),
       st.lists(st.lists(st.binary(max_size=40), max_size=4), min_size=0, max_size=6),
       st.sampled_from(["DEC-SHARE", "DLEQ", "KEM-POK"]))
def test_hash_to_scalars_equals_hash_to_scalar(prefix: list[bytes], tails: list[list[bytes]], purpose: str) -> None:
    """The batch path (prefix state hashed once) gives every challenge exactly as RFC 9380 does."""
    got = hash_to_scalars(purpose, prefix, [encode_parts(*tail) for tail in tails])
    assert got == [hash_to_scalar(purpose, *prefix, *tail).value for tail in tails]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([b"", b"ctx-a", b"ctx-b" * 20]), st.integers(0, 9)), max_size=12))
def test_batch_challenges_equal_the_challenge_of_each_proof(claims: list[tuple[bytes, int]]) -> None:
    """Runs of one context and changes of context alike: each c_i is the proof's own challenge."""
    _, _, _, shares = valid_shares()
    vs = council()[2]
    ct = valid_shares()[1]
    statements = [DleqStatement(ctx, vs[shares[i].index], ct.r_point, shares[i].d, shares[i].proof)
                  for ctx, i in claims]
    assert dleq_batch.challenges(dec.DEC_SHARE, statements) == [
        dleq_batch.challenge(dec.DEC_SHARE, s).value for s in statements]


@pytest.mark.parametrize("native", [False, True], ids=["bucket-method", "dispatched"])
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 7, 2**40 + 3, Q // 2, Q // 2 + 1, Q - 1, Q - 7, Q - 2**40 - 3]),
                          st.integers(0, 5)), min_size=1, max_size=40))
def test_msm_sums_terms_of_one_magnitude_first(native: bool, terms: list[tuple[int, int]]) -> None:
    """Equal and opposite scalars (k and q − k) on equal, opposite and other points: summed per
    |k| before the multiplication, which cancels to the identity where the terms do."""
    base = [G, G + G, P256.base_mul(Scalar(12345)), -G, -(G + G), P256.base_mul(Scalar(999))]
    scalars, points = [k for k, _ in terms], [base[i] for _, i in terms]
    expected = Point.identity()
    for k, p in zip(scalars, points, strict=True):
        expected = expected + p.mul_public(Scalar(k % Q))
    assert msm(scalars, points, native) == expected


@SETTINGS
@given(st.randoms(use_true_random=False), st.integers(T, N))
def test_combine_verified_equals_combine_on_checked_shares(rnd: random.Random, count: int) -> None:
    """The recovery's step (5) after step (4): the same first `t` by index, the same Z, no culprits."""
    ctx, ct, key, shares = valid_shares()
    vs = council()[2]
    given_shares = rnd.sample(list(shares), count)
    assert dec.invalid_shares(ctx, ct, given_shares, vs) == {}
    expected = dec.combine(ctx, ct, given_shares, vs, T)
    got = dec.combine_verified(given_shares, T)
    assert (got.shared_point, got.used, dict(got.culprits)) == (expected.shared_point, expected.used, {})
    assert kem.derive_data_key(got.shared_point, ct.r_point, council()[0], LABEL) == key
    with pytest.raises(NotEnoughShares):
        dec.combine_verified(given_shares[:T - 1], T)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(("none", "none", "w", "u1", "z"))),
                min_size=1, max_size=12))
def test_batch_with_repeated_x_and_h_agrees_with_checking_each_alone(spec: list[tuple[int, int, str]]) -> None:
    """Proofs sharing `X` (one member's shares) and `H` (one dump's R), their terms summed per
    point, pass the batch exactly when each passes `dleq_batch.verify` alone (the reference)."""
    secrets_ = [Scalar.random() for _ in range(3)]
    hs = [P256.base_mul(Scalar.random()), P256.base_mul(Scalar.random())]
    statements = []
    for n, (who, on, how) in enumerate(spec):
        ctx = n.to_bytes(4, "big")
        x = P256.base_mul(secrets_[who])
        w, p = dleq_batch.prove(dec.DEC_SHARE, ctx, secrets_[who], hs[on], x=x)
        if how == "w":
            w = w + G
        elif how == "u1":
            p = CommittedDleqProof(p.u1 + G, p.u2, p.z)
        elif how == "z":
            p = CommittedDleqProof(p.u1, p.u2, p.z + Scalar(1))
        statements.append(DleqStatement(ctx, x, hs[on], w, p))
    alone = []
    for s in statements:
        try:
            dleq_batch.verify(dec.DEC_SHARE, s)
            alone.append(True)
        except ProofError:
            alone.append(False)
    assert dleq_batch.verify_batch(dec.DEC_SHARE, statements) == all(alone)
