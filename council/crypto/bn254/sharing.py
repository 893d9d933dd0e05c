"""The BN254 part of one dealing, and what a DKG or re-share outputs from it (pure functions).

A dealing is the dealer's G1 Feldman commitments and, in a DKG, its constant term in G2
`B_i = a_{i,0}·g2` with a Schnorr proof of knowledge of `a_{i,0}` (in G1). The shares themselves
travel encrypted inside the ceremony's dealing. DKG: the group key is `Σ B_i`, checked against
`Σ A_{i,0}` with one pairing equation, dealer by dealer only if that fails. Re-share: Lagrange
weights over the dealers used, `C_0` must equal the previous `Y` in G1, the G2 key is carried over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from council.crypto.bn254 import vss
from council.crypto.bn254.curve import (
    G1,
    G1_LEN,
    G2,
    G2_LEN,
    Fr,
    R,
    evaluate_at_indices,
    multi_scalar_mul_columns,
    pairing_check,
    point_sum,
)
from council.crypto.bn254.proofs import PROOF_LEN, Proof, schnorr_prove, schnorr_verify
from council.crypto.group import RandomSource
from council.crypto.lagrange import integer_lagrange_at_zero
from council.errors import CeremonyError, DecodeError, ShareInvalid

DKG_POK: Final = "DKG-POK"


@dataclass(frozen=True)
class BnDealing:
    """Public BN254 part of a dealing: commitments; in a DKG also `B_i` and the proof."""

    commitments: tuple[G1, ...]
    key_g2: G2 | None = None
    pok: Proof | None = None

    def to_bytes(self) -> bytes:
        """`u16 t ‖ t × G1 ‖ u8 dkg ‖ (G2 ‖ proof if dkg)`."""
        out = [len(self.commitments).to_bytes(2, "big")] + [a.to_bytes() for a in self.commitments]
        if self.key_g2 is None or self.pok is None:
            return b"".join([*out, b"\x00"])
        return b"".join([*out, b"\x01", self.key_g2.to_bytes(), self.pok.to_bytes()])

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "bn254 dealing") -> BnDealing:
        """Decode; `B_i` is checked on the twist here and for the subgroup by `group_key`."""
        if len(data) < 3:
            raise DecodeError(f"{field}: truncated ({len(data)} bytes)")
        t = int.from_bytes(data[:2], "big")
        end = 2 + t * G1_LEN
        if t == 0 or len(data) < end + 1:
            raise DecodeError(f"{field}: {t} commitments do not fit in {len(data)} bytes")
        commitments = tuple(G1.from_bytes(data[2 + k * G1_LEN : 2 + (k + 1) * G1_LEN], f"{field}.commitment[{k}]")
                            for k in range(t))
        flag, rest = data[end], data[end + 1 :]
        if flag == 0 and not rest:
            return cls(commitments)
        if flag != 1 or len(rest) != G2_LEN + PROOF_LEN:
            raise DecodeError(f"{field}: expected nothing or a G2 key and a proof after the commitments")
        key = G2.from_bytes(rest[:G2_LEN], f"{field}.key_g2", subgroup_check=False)
        return cls(commitments, key, Proof.from_bytes(rest[G2_LEN:], f"{field}.pok"))


def pok_context(ctx: bytes, dealer: int) -> bytes:
    return ctx + dealer.to_bytes(2, "big")


def deal(secret: Fr | None, threshold: int, receivers: Iterable[int], ctx: bytes, dealer: int,
         rng: RandomSource | None = None) -> tuple[BnDealing, dict[int, Fr]]:
    """Step 1: a DKG dealer (`secret` None) picks a fresh constant and adds `B_i` and its proof;
    a re-share dealer deals its current share. Returns the public part and the shares."""
    constant = secret if secret is not None else Fr.random(rng)
    coefficients = vss.random_polynomial(constant, threshold, rng)
    commitments = tuple(vss.commit(coefficients))
    shares = {j: vss.evaluate(coefficients, j) for j in receivers}
    if secret is not None:
        return BnDealing(commitments), shares
    pok = schnorr_prove(DKG_POK, pok_context(ctx, dealer), constant, commitments[0], rng)
    return BnDealing(commitments, G2.base_mul(constant), pok), shares


def check_dealing(dealing: BnDealing, threshold: int, ctx: bytes, dealer: int,
                  previous_share: G1 | None) -> None:
    """Step 2, public part: shape, and the proof (DKG) or `A_{i,0} == Y_i` of the previous epoch."""
    if len(dealing.commitments) != threshold:
        raise CeremonyError(f"{len(dealing.commitments)} BN254 commitments, expected {threshold}")
    if previous_share is None:
        if dealing.key_g2 is None or dealing.pok is None:
            raise CeremonyError("a DKG dealing needs its BN254 constant term in G2 and a proof of knowledge")
        schnorr_verify(DKG_POK, pok_context(ctx, dealer), dealing.commitments[0], dealing.pok,
                       what="proof of knowledge of the BN254 constant term")
    elif dealing.key_g2 is not None or dealing.pok is not None:
        raise CeremonyError("a re-share dealing carries no BN254 key of its own")
    elif dealing.commitments[0] != previous_share:
        raise CeremonyError("BN254 constant term is not its verification share Y_i of the previous epoch")


def _consistent(pairs: Sequence[tuple[G1, G2]]) -> bool:
    """e(Σ A, −g2)·e(g1, Σ B) == 1 with Σ B in the subgroup: Σ B == (log Σ A)·g2."""
    b = point_sum((q for _, q in pairs), G2)
    if b.is_identity() or not b.in_subgroup():
        return False
    return pairing_check([(point_sum((p for p, _ in pairs), G1), -G2.generator()), (G1.generator(), b)])


def group_key(dealings: Mapping[int, BnDealing]) -> tuple[G2, dict[int, str]]:
    """DKG: the G2 key `Σ B_i` over the dealers whose `B_i` matches `A_{i,0}`. One pairing
    equation for the sum; only if it fails, one per dealer to name the culprits."""
    pairs = {}
    for i, d in dealings.items():
        if d.key_g2 is None:
            raise CeremonyError(f"dealer {i}: no BN254 key in G2")
        pairs[i] = (d.commitments[0], d.key_g2)
    if not pairs:
        raise CeremonyError("no dealings to take a BN254 key from")
    if _consistent(list(pairs.values())):
        return point_sum((q for _, q in pairs.values()), G2), {}
    bad = {i: "BN254 key in G2 does not match the G1 constant term" for i, pq in pairs.items() if not _consistent([pq])}
    good = [pq for i, pq in pairs.items() if i not in bad]
    if not good:
        raise CeremonyError("no dealer's BN254 key in G2 matches its G1 constant term")
    return point_sum((q for _, q in good), G2), bad


@dataclass(frozen=True)
class BnPrevious:
    """What a re-share starts from: the committed epoch's BN254 keys and verification shares."""

    public_key: G2
    public_key_g1: G1
    verification_shares: Mapping[int, G1]

    def to_bytes(self) -> bytes:
        """`G2 key ‖ G1 key ‖ u16 n ‖ n × (u16 j ‖ Y_j)`, Y_j in index order (stored and sent)."""
        out = [self.public_key.to_bytes(), self.public_key_g1.to_bytes(),
               len(self.verification_shares).to_bytes(2, "big")]
        for j in sorted(self.verification_shares):
            out += [j.to_bytes(2, "big"), self.verification_shares[j].to_bytes()]
        return b"".join(out)

    @classmethod
    def from_bytes(cls, data: bytes, field: str = "bn254 public data") -> BnPrevious:
        """Decode and validate every point (the G2 key with its subgroup check)."""
        head = G2_LEN + G1_LEN + 2
        if len(data) < head:
            raise DecodeError(f"{field}: truncated ({len(data)} bytes)")
        n = int.from_bytes(data[head - 2 : head], "big")
        item = 2 + G1_LEN
        if n == 0 or len(data) != head + n * item:
            raise DecodeError(f"{field}: {n} verification shares do not fit in {len(data)} bytes")
        key = G2.from_bytes(data[:G2_LEN], f"{field}.public_key")
        key_g1 = G1.from_bytes(data[G2_LEN : G2_LEN + G1_LEN], f"{field}.public_key_g1")
        shares: dict[int, G1] = {}
        for k in range(n):
            at = head + k * item
            j = int.from_bytes(data[at : at + 2], "big")
            if j == 0 or j in shares or (shares and j < max(shares)):
                raise DecodeError(f"{field}: verification share indices must be ascending and ≥ 1")
            shares[j] = G1.from_bytes(data[at + 2 : at + item], f"{field}.Y_{j}")
        return cls(key, key_g1, shares)


@dataclass(frozen=True)
class BnPublicOutput:
    """Step 4, what everyone computes alike: the G2 key, its G1 image `C_0`, every `Y_j`."""

    public_key: G2
    public_key_g1: G1
    verification_shares: Mapping[int, G1]
    combined_commitments: tuple[G1, ...]

    def previous(self) -> BnPrevious:
        """The starting point of the next re-share."""
        return BnPrevious(self.public_key, self.public_key_g1, self.verification_shares)


def combine_commitments(dealings: Mapping[int, BnDealing], weights: Mapping[int, Fr]) -> list[G1]:
    """`C_k = Σ_i w_i·A_{i,k}`: a plain sum for unit weights (DKG), one multi-scalar
    multiplication per k otherwise (re-share; the weights are public)."""
    dealers = list(weights)
    t = len(dealings[dealers[0]].commitments)
    if all(w.value == 1 for w in weights.values()):
        return vss.sum_commitments(dealings[i].commitments for i in dealers)
    small = integer_lagrange_at_zero(dealers, R)
    if small is None:
        return multi_scalar_mul_columns([weights[i] for i in dealers], [dealings[i].commitments for i in dealers])
    return _combine_small(dealings, weights, dealers, t, *small)


def _combine_small(dealings: Mapping[int, BnDealing], weights: Mapping[int, Fr], dealers: Sequence[int], t: int,
                   numerators: Sequence[int], denominator: int) -> list[G1]:
    """`C_k = L⁻¹·Σ_i m_i·A_ik` with `λ_i = m_i / L` (decision 105 for P-256; here over F_r): the
    same points with short scalars; refused unless the weights are those Lagrange coefficients."""
    inverse = pow(denominator, -1, R)
    if any(m * inverse % R != weights[i].value for m, i in zip(numerators, dealers, strict=True)):
        raise ValueError("BN254 weights are not the Lagrange coefficients at 0 of their indices")
    scalars = [Fr(abs(m)) for m in numerators]
    rows = [[-a if m < 0 else a for a in dealings[i].commitments] for m, i in zip(numerators, dealers, strict=True)]
    combined = multi_scalar_mul_columns(scalars, rows)
    return combined if denominator == 1 else [c.mul_int(inverse) for c in combined]


def public_output(dealings: Mapping[int, BnDealing], weights: Mapping[int, Fr], receivers: Iterable[int],
                  key: G2 | None, previous: BnPrevious | None) -> BnPublicOutput:
    """DKG (`key` from `group_key`, unit weights) or re-share (`previous`, Lagrange weights):
    `C_k`, `Y_j = Σ_k j^k·C_k` for every receiver; a re-share must reproduce `Y` in G1."""
    combined = combine_commitments(dealings, weights)
    if previous is not None:
        if combined[0] != previous.public_key_g1:
            raise CeremonyError("re-shared BN254 commitments do not reproduce the public key")
        key = previous.public_key
    if key is None:
        raise ValueError("a DKG output needs the group key in G2")
    indices = list(receivers)
    shares = evaluate_at_indices(combined, indices)
    shares = {j: shares[j] for j in indices}
    return BnPublicOutput(key, combined[0], shares, tuple(combined))


def receiver_share(output: BnPublicOutput, weights: Mapping[int, Fr], shares: Mapping[int, Fr],
                   dealings: Mapping[int, BnDealing], index: int) -> Fr:
    """`x_j = Σ w_i·s_ij`, checked against `Y_j`; on failure, name the dealers whose shares are bad."""
    missing = [i for i in weights if i not in shares]
    if not missing:
        share = Fr(sum(w.value * shares[i].value for i, w in weights.items()) % R)
        if G1.base_mul(share) == output.verification_shares[index]:
            return share
    bad = vss.find_bad_dealers(index, shares, {i: dealings[i].commitments for i in weights})
    raise ShareInvalid(f"member {index}'s new BN254 share is unusable; bad shares from "
                       + (", ".join(f"dealer {i} ({why})" for i, why in sorted(bad.items())) or "no single dealer"))
