"""Step 4 (output): the public key, every verification share, and one receiver's new share.

DKG: weights 1 over QUAL. Re-share: Q = the t lowest indices of QUAL' with Lagrange weights λ_i^Q.
Combined commitments `C_k = Σ_i w_i·A_{i,k}` give `Y_j = Σ_k j^k·C_k` for every receiver, and the
re-share checks `C_0 == Y`: the public key never changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from council.crypto import vss
from council.crypto.complaint import decrypt_share
from council.crypto.group import P256, Point, Scalar, multi_scalar_mul
from council.crypto.judge import Judgement
from council.crypto.lagrange import lagrange_at_zero
from council.crypto.messages import CeremonySpec
from council.errors import AuthenticationFailed, CeremonyError, DecodeError, ShareInvalid


@dataclass(frozen=True)
class PublicOutput:
    """What everyone computes alike from the judgement."""

    public_key: Point
    verification_shares: Mapping[int, Point]
    weights: Mapping[int, Scalar]
    combined_commitments: tuple[Point, ...]


def dealer_weights(spec: CeremonySpec, judgement: Judgement) -> dict[int, Scalar]:
    """Which dealers count and with what weight; fails if too few qualified."""
    qual = judgement.qualified
    if len(qual) < spec.dealers.threshold:
        raise CeremonyError(f"only {len(qual)} qualified dealers, {spec.dealers.threshold} needed: "
                            + "; ".join(f"dealer {i}: {why}" for i, why in sorted(judgement.disqualified.items())))
    if spec.previous is None:
        return {i: Scalar(1) for i in qual}
    return lagrange_at_zero(qual[: spec.dealers.threshold])


def public_output(spec: CeremonySpec, judgement: Judgement) -> PublicOutput:
    """Y, every Y_j, the weights and the combined commitments."""
    weights = dealer_weights(spec, judgement)
    if spec.previous is None:  # DKG: unit weights, C_k is a plain sum
        combined = vss.sum_commitments(judgement.dealings[i].commitments for i in weights)
    else:  # re-share: C_k = Σ_i λ_i·A_ik, public weights, one multi-scalar multiplication per k
        dealers, lam = list(weights), list(weights.values())
        combined = [multi_scalar_mul(lam, [judgement.dealings[i].commitments[k] for i in dealers])
                    for k in range(spec.receivers.threshold)]
    public_key = combined[0]
    if spec.previous is not None and public_key != spec.previous.public_key:
        raise CeremonyError("re-shared commitments do not reproduce the public key Y")
    shares = {j: vss.commitment_at(combined, j) for j in spec.receivers.indices}
    return PublicOutput(public_key, shares, weights, tuple(combined))


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
                s = decrypt_share(digest, i, index, encryption_secret, judgement.dealings[i].encrypted_shares[index])
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
            s = decrypt_share(spec.digest(), i, index, encryption_secret, dealing.encrypted_shares[index])
        except (AuthenticationFailed, DecodeError):
            bad[i] = "share does not decrypt"
            continue
        if not vss.share_is_valid(index, s, dealing.commitments):
            bad[i] = "share fails the Feldman check"
    return bad
