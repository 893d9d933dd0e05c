"""Step 4 (output): the public key, every verification share, and one receiver's new share.

DKG: weights 1 over QUAL. Re-share: Q = the t lowest indices of QUAL' with Lagrange weights λ_i^Q.
Combined commitments `C_k = Σ_i w_i·A_{i,k}` give `Y_j = Σ_k j^k·C_k` for every receiver, and the
re-share checks `C_0 == Y`: the public key never changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from council.crypto import vss
from council.crypto.bn254 import sharing as bn_sharing
from council.crypto.bn254 import threshold as bn_threshold
from council.crypto.bn254 import vss as bn_vss
from council.crypto.bn254.curve import Fr
from council.crypto.complaint import decrypt_shares
from council.crypto.group import P256, Point, Q, Scalar
from council.crypto.judge import Judgement
from council.crypto.lagrange import integer_lagrange_at_zero, lagrange_at_zero
from council.crypto.messages import CeremonySpec
from council.crypto.msm import msm_columns
from council.errors import AuthenticationFailed, CeremonyError, DecodeError, ShareInvalid


@dataclass(frozen=True)
class PublicOutput:
    """What everyone computes alike from the judgement (and the BN254 key, if the spec has one)."""

    public_key: Point
    verification_shares: Mapping[int, Point]
    weights: Mapping[int, Scalar]
    combined_commitments: tuple[Point, ...]
    bn254: bn_sharing.BnPublicOutput | None = None


def dealer_weights(spec: CeremonySpec, judgement: Judgement) -> dict[int, Scalar]:
    """Which dealers count and with what weight; fails if too few qualified."""
    qual = judgement.qualified
    if len(qual) < spec.dealers.threshold:
        raise CeremonyError(f"only {len(qual)} qualified dealers, {spec.dealers.threshold} needed: "
                            + "; ".join(f"dealer {i}: {why}" for i, why in sorted(judgement.disqualified.items())))
    if spec.previous is None:
        return {i: Scalar(1) for i in qual}
    return lagrange_at_zero(qual[: spec.dealers.threshold])


def public_output(spec: CeremonySpec, judgement: Judgement,
                  summed: tuple[tuple[int, ...], Sequence[Point]] | None = None) -> PublicOutput:
    """Y, every Y_j, the weights and the combined commitments. `summed` = (dealers, Σ_i A_ik over
    them), from a DKG receiver's aggregate check: used only if those dealers are exactly QUAL."""
    weights = dealer_weights(spec, judgement)
    if spec.previous is None:  # DKG: unit weights, C_k is a plain sum
        reuse = summed is not None and summed[0] == tuple(weights)
        combined = list(summed[1]) if summed is not None and reuse else vss.sum_commitments(
            judgement.dealings[i].commitments for i in weights)
    else:  # re-share: C_k = Σ_i λ_i·A_ik, public weights, one multi-scalar multiplication per k
        combined = combine_commitments(weights, [judgement.dealings[i].commitments for i in weights])
    public_key = combined[0]
    if spec.previous is not None and public_key != spec.previous.public_key:
        raise CeremonyError("re-shared commitments do not reproduce the public key Y")
    shares = vss.commitments_at(combined, spec.receivers.indices)
    bn = _bn254_output(spec, judgement, weights) if spec.bn254 else None
    return PublicOutput(public_key, shares, weights, tuple(combined), bn)


def combine_commitments(weights: Mapping[int, Scalar], commitments: Sequence[Sequence[Point]]) -> list[Point]:
    """C_k = Σ_i λ_i·A_ik for every k (dealer i's commitments in `commitments`, in the order of
    `weights`). Lagrange weights at 0 are small fractions: λ_i = m_i / L with integers m_i (for
    Q = {1..t}, λ_i = ±binom(t, i), 40 bits at t = 43, against 256 bits for λ_i mod q), so each
    C_k is L⁻¹·Σ_i m_i·A_ik, a negative m_i taken as |m_i|·(−A_ik). Same points, several times
    fewer doublings and additions; public weights only (the multiplication is variable-time)."""
    small = integer_lagrange_at_zero(list(weights), Q)
    if small is None:
        return msm_columns([w.value for w in weights.values()], commitments)
    numerators, denominator = small
    inverse = pow(denominator, -1, Q)
    if any(m * inverse % Q != w.value for m, w in zip(numerators, weights.values(), strict=True)):
        raise ValueError("weights are not the Lagrange coefficients at 0 of their indices")
    combined = msm_columns(numerators, commitments)
    return combined if denominator == 1 else [c * Scalar(inverse) for c in combined]


def bn254_weights(spec: CeremonySpec, judgement: Judgement, weights: Mapping[int, Scalar]) -> dict[int, Fr]:
    """A fresh BN254 key sums all of QUAL (whose G2 keys were checked together); a carried one uses
    the re-share's dealers with Lagrange weights over F_r (not F_q)."""
    if spec.bn254_fresh:
        return {i: Fr(1) for i in judgement.qualified}
    return bn_threshold.lagrange_at_zero(weights)


def _bn254_output(spec: CeremonySpec, judgement: Judgement,
                  weights: Mapping[int, Scalar]) -> bn_sharing.BnPublicOutput:
    """Step 4 for the BN254 key (protocol.md §8): C_k, Y_j, and the key (new, or carried over)."""
    bw = bn254_weights(spec, judgement, weights)
    dealings = {}
    for i in bw:
        part = judgement.dealings[i].bn254
        if part is None:
            raise CeremonyError(f"dealer {i}: no BN254 part")
        dealings[i] = part
    previous = spec.previous.bn254 if spec.previous is not None else None
    return bn_sharing.public_output(dealings, bw, spec.receivers.indices, judgement.bn254_key, previous)


def receiver_bn254_share(spec: CeremonySpec, judgement: Judgement, output: PublicOutput, index: int,
                         encryption_secret: Scalar, decrypted: Mapping[int, Fr] | None = None) -> Fr:
    """The receiver's BN254 share, checked against its Y_j; names bad dealers on failure."""
    if output.bn254 is None:
        raise CeremonyError("this ceremony has no BN254 key")
    bw = bn254_weights(spec, judgement, output.weights)
    shares, bad = dict(decrypted or {}), {}
    for i in bw:
        if i not in shares:
            try:
                shares[i] = _bn_share(spec, judgement, i, index, encryption_secret)
            except (AuthenticationFailed, DecodeError):
                bad[i] = "share does not decrypt"
    if bad:
        raise ShareInvalid(f"member {index}'s new BN254 share is unusable; bad shares from "
                           + ", ".join(f"dealer {i} ({why})" for i, why in sorted(bad.items())))
    dealings = {i: d.bn254 for i, d in judgement.dealings.items() if d.bn254 is not None}
    return bn_sharing.receiver_share(output.bn254, bw, shares, dealings, index)


def _bn_share(spec: CeremonySpec, judgement: Judgement, dealer: int, index: int, secret: Scalar) -> Fr:
    _, bn = decrypt_shares(spec.digest(), dealer, index, secret, judgement.dealings[dealer])
    if bn is None:
        raise DecodeError(f"dealer {dealer}: no BN254 share")
    return bn


def receiver_share(spec: CeremonySpec, judgement: Judgement, output: PublicOutput, index: int,
                   encryption_secret: Scalar, decrypted: Mapping[int, Scalar] | None = None) -> Scalar:
    """x_j = Σ w_i·s_ij, checked against Y_j; on failure, name the dealers whose shares are bad.

    `decrypted` holds shares already decrypted in the check phase (dealer → share)."""
    digest = spec.digest()
    total, bad = 0, {}
    for i, w in output.weights.items():
        s = (decrypted or {}).get(i)
        if s is None:
            try:
                s, _ = decrypt_shares(digest, i, index, encryption_secret, judgement.dealings[i])
            except (AuthenticationFailed, DecodeError):
                bad[i] = "share does not decrypt"
                continue
        total += w.value * s.value
    share = Scalar.reduce(total)
    if not bad and P256.base_mul(share) == output.verification_shares[index]:
        return share
    bad.update(find_bad_dealers(spec, judgement, index, encryption_secret, output.weights))
    raise ShareInvalid(f"member {index}'s new share is unusable; bad shares from "
                       + ", ".join(f"dealer {i} ({why})" for i, why in sorted(bad.items())))


def find_bad_dealers(spec: CeremonySpec, judgement: Judgement, index: int, encryption_secret: Scalar,
                     dealers: Mapping[int, object]) -> dict[int, str]:
    """Check each dealer's share one by one (the slow path after an aggregate check failed)."""
    bad: dict[int, str] = {}
    for i in dealers:
        dealing = judgement.dealings[i]
        try:
            s, bn = decrypt_shares(spec.digest(), i, index, encryption_secret, dealing)
        except (AuthenticationFailed, DecodeError):
            bad[i] = "share does not decrypt"
            continue
        if not vss.share_is_valid(index, s, dealing.commitments):
            bad[i] = "share fails the Feldman check"
        elif dealing.bn254 is not None and bn is not None and not bn_vss.share_is_valid(
                index, bn, dealing.bn254.commitments):
            bad[i] = "BN254 share fails the Feldman check"
    return bad
