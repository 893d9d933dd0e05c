"""Step 3 (judge): who qualifies, decided deterministically from the public transcript.

Anyone holding the spec and the relayed dealings and responses gets the same answer: the
qualified dealers, every disqualified dealer with its reason, and every blamed complainer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from council.crypto import schnorr
from council.crypto.bn254 import sharing as bn_sharing
from council.crypto.bn254.curve import G2
from council.crypto.committee import Committee
from council.crypto.complaint import judge_complaint
from council.crypto.messages import CeremonySpec, Dealing, Kind, Response, Signed
from council.errors import KeycouncilError

DKG_POK = "DKG-POK"


@dataclass(frozen=True)
class Judgement:
    """QUAL, the disqualified dealers and blamed members (index → reason), the valid dealings, and
    the BN254 key in G2 when this ceremony makes one (protocol.md §8 step 3)."""

    qualified: tuple[int, ...]
    disqualified: Mapping[int, str]
    blamed: Mapping[int, str]
    dealings: Mapping[int, Dealing]
    bn254_key: G2 | None = None


def check_dealing(spec: CeremonySpec, signed: Signed, signature_checked: bool = False) -> Dealing:
    """Everything about one dealing that is public: signature, shape, proof or constant term.
    `signature_checked`: the caller knows its sender signed exactly these bytes (its own dealing
    relayed back unchanged, or checked by `signed_by`), so the signature is not checked again."""
    digest = spec.digest()
    member = spec.dealers.member(signed.sender)
    if not signature_checked:
        signed.verify(member, Dealing.KIND)
    dealing = Dealing.from_bytes(signed.body)
    if dealing.ceremony != digest or dealing.dealer != signed.sender:
        raise KeycouncilError("dealing belongs to another ceremony or dealer")
    if len(dealing.commitments) != spec.receivers.threshold:
        raise KeycouncilError(f"{len(dealing.commitments)} commitments, expected {spec.receivers.threshold}")
    if set(dealing.encrypted_shares) != set(spec.receivers.indices):
        raise KeycouncilError("encrypted shares do not cover exactly the receivers")
    if spec.previous is None:
        if dealing.pok is None:
            raise KeycouncilError("missing proof of knowledge of the constant term")
        schnorr.verify(DKG_POK, digest + dealing.dealer.to_bytes(2, "big"), dealing.commitments[0],
                       dealing.pok, what="proof of knowledge of the constant term")
    elif dealing.commitments[0] != spec.previous.verification_shares[dealing.dealer]:
        raise KeycouncilError("constant term is not its verification share Y_i of the previous epoch")
    _check_bn254(spec, dealing)
    return dealing


def _check_bn254(spec: CeremonySpec, dealing: Dealing) -> None:
    """The BN254 sub-dealing is present exactly when the spec asks for it, and publicly valid."""
    if not spec.bn254:
        if dealing.bn254 is not None:
            raise KeycouncilError("dealing carries a BN254 part this ceremony does not have")
        return
    if dealing.bn254 is None:
        raise KeycouncilError("dealing lacks the BN254 part of the signing key")
    prev = spec.previous.bn254 if spec.previous is not None else None
    bn_sharing.check_dealing(dealing.bn254, spec.receivers.threshold, spec.digest(), dealing.dealer,
                             prev.verification_shares[dealing.dealer] if prev is not None else None)


def valid_dealings(spec: CeremonySpec, signed: Sequence[Signed],
                   own: Signed | None = None) -> tuple[dict[int, Dealing], dict[int, str]]:
    """Split relayed dealings into valid ones and disqualified dealers (missing or malformed).
    `own`: the dealing this member signed; relayed back equal to it, its signature is not checked.
    A message its claimed dealer did not sign counts neither for nor against that dealer: anyone
    relaying can add one in another's name. Two different dealings both signed by one dealer
    disqualify it (equivocation)."""
    by_sender: dict[int, Signed] = {}
    bad: dict[int, str] = {}
    unsigned: set[int] = set()
    for s in signed:
        if not signed_by(spec.dealers, s, Dealing.KIND, own):
            unsigned.add(s.sender)
        elif by_sender.setdefault(s.sender, s) != s:
            bad[s.sender] = "sent two different dealings"
    good: dict[int, Dealing] = {}
    for i in spec.dealers.indices:
        if i in bad:
            continue
        if i not in by_sender:
            bad[i] = "no dealing received" + (" with a valid signature of its dealer" if i in unsigned else "")
            continue
        try:
            good[i] = check_dealing(spec, by_sender[i], signature_checked=True)
        except (KeycouncilError, ValueError) as exc:
            bad[i] = f"invalid dealing: {exc}"
    return good, bad


def signed_by(committee: Committee, message: Signed, kind: str, own: Signed | None = None) -> bool:
    """Whether `message` is a `kind` that the committee member it names signed (`own`, signed by
    the caller and relayed back unchanged, is taken as it is)."""
    if own is not None and message == own:
        return True
    try:
        message.verify(committee.member(message.sender), kind)
    except (KeycouncilError, ValueError):
        return False
    return True


def judge(spec: CeremonySpec, dealings: Sequence[Signed], responses: Sequence[Signed],
          checked: tuple[dict[int, Dealing], dict[int, str]] | None = None,
          own: Signed | None = None) -> Judgement:
    """Disqualify missing or malformed dealings and dealers with upheld complaints; blame liars.

    `checked` is `valid_dealings(spec, dealings)` when the caller already computed it; `own` the
    response this member signed itself (relayed back equal to it, its signature is not checked)."""
    good, disqualified = checked if checked is not None else valid_dealings(spec, dealings)
    good, disqualified = dict(good), dict(disqualified)
    blamed: dict[int, str] = {}
    for signed in sorted(responses, key=lambda s: s.sender):
        if signed_by(spec.receivers, signed, Response.KIND, own):  # one in another's name counts for nothing
            _judge_response(spec, signed, good, disqualified, blamed)
    if spec.kind is Kind.DKG:  # in a DKG a false complainer is also a dealer: keep it out of QUAL
        for j, why in blamed.items():
            disqualified.setdefault(j, f"blamed: {why}")
    qualified = tuple(i for i in sorted(good) if i not in disqualified)
    bn254_key = None
    if spec.bn254_fresh and qualified:  # one pairing equation for QUAL; per dealer only if it fails
        bn254_key, bad = bn_sharing.group_key({i: _bn254_part(good[i]) for i in qualified})
        for i, why in bad.items():
            disqualified.setdefault(i, why)
        qualified = tuple(i for i in qualified if i not in bad)
    return Judgement(qualified, disqualified, blamed, {i: good[i] for i in qualified}, bn254_key)


def _bn254_part(dealing: Dealing) -> bn_sharing.BnDealing:
    if dealing.bn254 is None:
        raise KeycouncilError(f"dealer {dealing.dealer}: no BN254 part")
    return dealing.bn254


def _judge_response(spec: CeremonySpec, signed: Signed, good: Mapping[int, Dealing],
                    disqualified: dict[int, str], blamed: dict[int, str]) -> None:
    """One response its sender signed (`signed_by`): a malformed one, or a complaint that is not
    upheld, blames its sender; an upheld complaint disqualifies the dealer."""
    j = signed.sender
    member = spec.receivers.member(j)
    try:
        response = Response.from_bytes(signed.body)
        if response.ceremony != spec.digest() or response.member != j:
            raise KeycouncilError("response belongs to another ceremony or member")
    except (KeycouncilError, ValueError) as exc:
        blamed[j] = f"invalid response: {exc}"
        return
    for complaint in response.complaints:
        dealing = good.get(complaint.dealer)
        if dealing is None:
            continue  # dealer already out on public grounds
        verdict = judge_complaint(spec.digest(), j, member.encryption_key, complaint, dealing)
        if verdict.dealer_at_fault:
            disqualified.setdefault(complaint.dealer, f"complaint by member {j} upheld: {verdict.reason}")
        else:
            blamed.setdefault(j, verdict.reason)
