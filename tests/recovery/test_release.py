"""The member's release decision: operator signature, epoch, dump reference, evidence, waiting
period, manual approval, mauled KEM ciphertexts, target sealing; and the policy parser."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from recovery_helpers import seal_versions, sealer, two_epochs

from council.crypto.decryption import open_from_target, verify_share
from council.crypto.drbg import seeded
from council.crypto.group import P256, G, Scalar
from council.crypto.kem import KemCiphertext
from council.crypto.signing import Signer
from council.errors import AuthenticationFailed, PolicyRefused, ProofError, ShareInvalid
from council.node.release.decide import MemberShare, ReleaseFacts, decide_release
from council.node.release.policy import PolicyInvalid, ReleasePolicy, parse_release_policy
from council.protocol.dumpref import DumpReference
from council.protocol.recovery_request import RecoveryRequest, sign_request
from council.protocol.shares import TargetBoundShare, context_of
from dumps.errors import EvidenceRefused
from dumps.format import header_signed_message
from dumps.header_codec import encode_header
from recovery.choose import choose_dump
from recovery.coordinator import build_request

NOW = 1_800_000_000_000
DEV = ReleasePolicy(require_admitted_sealer=False, allow_simulated=True)
FACTS = ReleaseFacts(NOW, NOW)


@pytest.fixture
def chosen(tmp_path: Path):
    e = two_epochs()
    seal_versions(tmp_path, [e.old, e.new], [b"a" * 100, b"b" * 100])
    return choose_dump(tmp_path, "app")


def _state(index: int = 1, **kw) -> MemberShare:
    e = two_epochs().new
    return MemberShare(e.council.key_id, e.council.epoch, index, e.shares[index], **kw)


def _decide(request, policy=DEV, state=None, facts=FACTS, checker=None):
    return decide_release(request, two_epochs().new.roster, state or _state(), policy, checker, facts)


def test_operator_request_gets_a_verifiable_share(chosen) -> None:
    e = two_epochs()
    request = build_request(chosen, e.new.council, e.operator, NOW)
    share = _decide(request)
    verify_share(context_of(request), chosen.candidate.dump.header.kem(), share,
                 e.new.council.verification_shares[1])


def test_non_operator_is_refused(chosen) -> None:
    stranger = Signer.from_seed(seeded(b"not an operator")(32))
    request = build_request(chosen, two_epochs().new.council, stranger, NOW)
    with pytest.raises(PolicyRefused, match="not an operator of the roster"):
        _decide(request)


def test_forged_operator_signature_is_refused(chosen) -> None:
    request = build_request(chosen, two_epochs().new.council, two_epochs().operator, NOW)
    forged = dataclasses.replace(request, app_id="other", signature=request.signature)
    with pytest.raises(AuthenticationFailed, match="recovery-request signature does not verify"):
        _decide(forged)


def test_only_the_committed_epoch_is_released(chosen) -> None:
    e = two_epochs()
    request = build_request(chosen, e.new.council, e.operator, NOW)
    with pytest.raises(PolicyRefused, match="not committed"):
        _decide(request, state=_state(committed=False))
    old_state = MemberShare(e.old.council.key_id, 0, 1, e.old.shares[1])
    with pytest.raises(PolicyRefused, match="holds epoch 0 .* asks for epoch 1"):
        _decide(request, state=old_state)


def test_simulated_sealer_needs_allow_simulated(chosen) -> None:
    request = build_request(chosen, two_epochs().new.council, two_epochs().operator, NOW)
    with pytest.raises(PolicyRefused, match="allow_simulated = false"):
        _decide(request, policy=ReleasePolicy(require_admitted_sealer=False))


def test_admitted_sealer_requires_a_checker_that_admits(chosen) -> None:
    request = build_request(chosen, two_epochs().new.council, two_epochs().operator, NOW)
    policy = ReleasePolicy(require_admitted_sealer=True, allow_simulated=True)
    with pytest.raises(PolicyRefused, match="no admission policy is configured"):
        _decide(request, policy=policy)

    def refuse(_evidence, _key) -> None:
        raise EvidenceRefused("sealer not on the allow-list")
    with pytest.raises(EvidenceRefused, match="allow-list"):
        _decide(request, policy=policy, checker=refuse)
    assert _decide(request, policy=policy, checker=lambda _e, _k: None).index == 1


def test_waiting_period_and_manual_approval(chosen) -> None:
    request = build_request(chosen, two_epochs().new.council, two_epochs().operator, NOW)
    policy = ReleasePolicy(require_admitted_sealer=False, allow_simulated=True,
                           waiting_period_seconds=3600, manual_approval=True)
    with pytest.raises(PolicyRefused, match="known for 60 s, the waiting period is 3600 s"):
        _decide(request, policy=policy, facts=ReleaseFacts(NOW + 60_000, NOW))
    later = NOW + 3_600_000
    with pytest.raises(PolicyRefused, match=f"awaits manual approval: keycouncil member approve {request.id_hex}"):
        _decide(request, policy=policy, facts=ReleaseFacts(later, NOW))
    assert _decide(request, policy=policy, facts=ReleaseFacts(later, NOW, approved=True)).index == 1
    with pytest.raises(PolicyRefused, match="dated in the future"):
        _decide(request, facts=ReleaseFacts(NOW - 3_600_000, NOW - 3_600_000))


def _mauled_kem_request(chosen) -> RecoveryRequest:
    """A request for the chosen dump with its header's R replaced by R + G, signed by a sealer."""
    header = chosen.candidate.dump.header
    kem = header.kem()
    mauled = dataclasses.replace(header, kem_ciphertext=KemCiphertext(kem.r_point + G, kem.proof).to_bytes())
    ident, header_bytes = sealer(), encode_header(mauled)
    body = dataclasses.replace(chosen.candidate.dump.trailer, header_sha256=hashlib.sha256(header_bytes).digest())
    trailer = dataclasses.replace(body, signature=ident.sign(body.signed_message()))
    ref = DumpReference(header_bytes, ident.sign(header_signed_message(header_bytes, header.format_version)),
                        trailer.to_bytes())
    return sign_request(two_epochs().operator, key_id=header.key_id, epoch=1, dump=ref,
                        app_id=header.app_id, dump_version=header.dump_version, created_unix_ms=NOW)


def test_mauled_kem_ciphertext_gets_no_share(chosen) -> None:
    """Even a sealer that signs a header carrying R + G gets nothing: the KEM proof fails."""
    with pytest.raises(ProofError, match="KEM ciphertext"):
        _decide(_mauled_kem_request(chosen))


def test_dump_reference_must_match_the_request(chosen) -> None:
    header = chosen.candidate.dump.header
    request = sign_request(two_epochs().operator, key_id=header.key_id, epoch=1, dump=chosen.reference,
                           app_id=header.app_id, dump_version=header.dump_version + 7, created_unix_ms=NOW)
    with pytest.raises(PolicyRefused, match="not what the request names"):
        _decide(request)


def test_target_bound_reply_opens_only_for_the_target(chosen) -> None:
    target = Scalar.random(seeded(b"t"))
    request = build_request(chosen, two_epochs().new.council, two_epochs().operator, NOW, P256.base_mul(target))
    reply = _decide(request, state=_state(4))
    assert isinstance(reply, TargetBoundShare) and reply.index == 4
    kem = chosen.candidate.dump.header.kem()
    share = open_from_target(reply.sealed, 4, target, context_of(request), kem)
    verify_share(context_of(request), kem, share, two_epochs().new.council.verification_shares[4])
    with pytest.raises(AuthenticationFailed):
        open_from_target(reply.sealed, 4, Scalar.random(), context_of(request), kem)


def test_policy_parser() -> None:
    toml = "[release]\nrequire_admitted_sealer = true\nwaiting_period_seconds = 600\nmanual_approval = true\n"
    assert parse_release_policy(toml) == ReleasePolicy(True, False, 600, True)
    assert parse_release_policy('{"allow_simulated": true}', "json").allow_simulated
    with pytest.raises(PolicyInvalid, match="unknown field 'wait'"):
        parse_release_policy("[release]\nwait = 1\n")
    with pytest.raises(PolicyInvalid, match="manual_approval: expected true or false"):
        parse_release_policy('{"release": {"manual_approval": "yes"}}', "json")
    with pytest.raises(PolicyInvalid, match="waiting_period_seconds: expected an integer"):
        parse_release_policy("[release]\nwaiting_period_seconds = true\n")
    with pytest.raises(PolicyInvalid, match="not valid TOML"):
        parse_release_policy("[release\n")


def test_a_copy_of_a_checked_request_encodes_its_own_body(chosen) -> None:
    """A request keeps the body it encoded (one per object); a tampered copy made by `replace`
    after the original was checked must not reuse it, so its signature check fails."""
    e = two_epochs()
    request = build_request(chosen, e.new.council, e.operator, NOW)
    _decide(request)  # verified: the body is encoded and kept on `request`
    forged = dataclasses.replace(request, created_unix_ms=request.created_unix_ms + 1)
    assert forged.body() != request.body()
    with pytest.raises(AuthenticationFailed, match="recovery-request signature does not verify"):
        _decide(forged)


def _other_dump(tmp_path: Path):
    """A second dump sealed to the same epoch: another KEM ciphertext, so another R."""
    e = two_epochs()
    (tmp_path / "other").mkdir()
    seal_versions(tmp_path / "other", [e.old, e.new], [b"c" * 100, b"d" * 100])
    return choose_dump(tmp_path / "other", "app")


def test_kept_products_give_each_dump_its_own_share(chosen, tmp_path: Path) -> None:
    """One ShareProducts across requests for two dumps (two R): each reply is x_i·R of its own
    dump's R and verifies against its own ciphertext; asking again reuses the product."""
    from council.node.release.cache import ShareProducts

    e, other = two_epochs(), _other_dump(tmp_path)
    products = ShareProducts(e.new.shares[1])
    y1 = e.new.council.verification_shares[1]
    for dump in (chosen, other, chosen):
        request = build_request(dump, e.new.council, e.operator, NOW)
        share = _decide(request, state=_state(times=products))
        kem_ct = dump.candidate.dump.header.kem()
        assert share.d == kem_ct.r_point * e.new.shares[1]
        verify_share(context_of(request), kem_ct, share, y1)
    assert chosen.candidate.dump.header.kem().r_point != other.candidate.dump.header.kem().r_point


def test_a_product_kept_for_another_dump_never_makes_a_valid_share(chosen, tmp_path: Path) -> None:
    """A cache keyed wrongly (another dump's x_i·R handed out) yields a share whose proof fails."""
    e, other = two_epochs(), _other_dump(tmp_path)
    wrong = other.candidate.dump.header.kem().r_point * e.new.shares[1]
    request = build_request(chosen, e.new.council, e.operator, NOW)
    share = _decide(request, state=_state(times=lambda r: wrong))
    with pytest.raises(ShareInvalid, match="DLEQ proof does not verify"):
        verify_share(context_of(request), chosen.candidate.dump.header.kem(), share,
                     e.new.council.verification_shares[1])


def test_products_are_bounded_and_stay_exact(chosen) -> None:
    """More distinct points than the memo keeps: every answer is still x·R of the point asked."""
    from council.node.release.cache import ShareProducts

    x = two_epochs().new.shares[1]
    products = ShareProducts(x)
    points = [P256.base_mul(Scalar(k)) for k in range(2, 2 + 2 * ShareProducts.MAX_PRODUCTS)]
    for p in points + points[:3]:
        assert products(p) == p * x
    assert len(products._products) == ShareProducts.MAX_PRODUCTS


def test_a_mauled_ciphertext_never_reaches_the_kept_products(chosen) -> None:
    """The share is multiplied by R only after the KEM proof verified."""
    calls: list[object] = []
    with pytest.raises(ProofError, match="KEM ciphertext"):
        _decide(_mauled_kem_request(chosen), state=_state(times=lambda r: calls.append(r) or r))
    assert calls == []
