"""CouncilAnchor on web3's in-process tester chain (py-evm): registration with proof of possession,
anchors accepted and refused (each with its reason), both ways a refusal shows, races, reorgs.

A pairing on py-evm costs ~1 s of CPU, so each test runs as few signature checks as it can."""

from __future__ import annotations

import secrets

import chain_bls
import pytest
from chain_helpers import Council, calldata_gas, funded_signer, mine, revert, snapshot
from eth_utils import keccak

from council.chain.client import ChainClient
from council.chain.messages import MAX_ENTRIES, anchor_message, register_message
from council.crypto.bn254.hash_to_curve import hash_to_g1_hint
from council.errors import ChainError

ANCHOR_GAS_GUARD = 200_000
"""Flat in n and t: the issue's target, without calldata (docs/chain.md)."""

pytestmark = pytest.mark.timeout(240)

P = chain_bls.P


def _anchor(client: ChainClient, council: Council, entries: bytes = b"entry") -> tuple[int, int]:
    """Anchor the next head; its gas and the part of it that is calldata."""
    head = council.next_head(entries)
    result = client.anchor(head, council.sign(client, head))
    council.accepted(head)
    assert result.gas_used is not None and result.tx_hash is not None
    return result.gas_used, calldata_gas(client.w3, result.tx_hash)


def test_registration_is_recorded(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    record = client.record(council.key_id)
    assert (record.pubkey, record.seq, record.head, record.roster_digest, record.epoch) == (
        council.pubkey, council.seq, council.head, council.roster_digest, council.epoch)
    assert not client.record(secrets.token_bytes(32)).registered


def test_messages_match_the_contract(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    head = council.next_head(b"abc")
    fn = client.contract.functions.anchor_message(head.key_id, head.seq, head.prev_head, head.new_head,
                                                  head.roster_digest, head.epoch, keccak(head.entries))
    assert bytes(fn.call()) == head.message(client.chain_id, client.address)
    fn = client.contract.functions.register_message(council.key_id, council.pubkey, council.roster_digest,
                                                    council.epoch, 0, council.head)
    assert bytes(fn.call()) == register_message(client.chain_id, client.address, council.key_id, council.pubkey,
                                                council.roster_digest, council.epoch, 0, council.head)


def test_hash_to_curve_witnesses_match_the_contract(chain: tuple[ChainClient, Council]) -> None:
    client, _ = chain
    for msg in (b"", b"abc", *(secrets.token_bytes(32) for _ in range(6))):
        assert tuple(client.contract.functions.hash_to_point_hint(msg).call()) == hash_to_g1_hint(msg)


def _anchor_call(client: ChainClient, head, signature: bytes, hint: list[int]):  # type: ignore[no-untyped-def]
    return client.contract.functions.anchor(head.key_id, head.seq, head.prev_head, head.new_head,
                                            head.roster_digest, head.epoch, head.entries, signature, hint)


def test_false_hash_to_curve_witnesses_are_refused(chain: tuple[ChainClient, Council]) -> None:
    """The submitter's witnesses cannot move H(m): each false one reverts, and the only freedom
    left, the sign of a root, is taken away by sgn0 (the anchor still verifies)."""
    client, council = chain
    head = council.next_head()
    signature = council.sign(client, head)
    hint = list(hash_to_g1_hint(head.message(client.chain_id, client.address)))
    used = [i for i in (1, 2, 3) if hint[i]][-1]  # the root of u0's chosen candidate
    for bad in ([hint[0] + 1, *hint[1:]], hint[:used] + [(hint[used] + 1) % P] + hint[used + 1:],
                hint[:1] + hint[4:] + hint[1:4],  # u1's witnesses for u0's and back
                list(hash_to_g1_hint(b"another message"))):
        with pytest.raises(Exception, match="bad hash-to-curve witness|signature does not verify"):
            _anchor_call(client, head, signature, bad).call()
    negated = hint[:used] + [P - hint[used]] + hint[used + 1:]
    _anchor_call(client, head, signature, negated).call()  # the other root: same point, accepted


def test_hash_to_point_matches_the_reference(chain: tuple[ChainClient, Council]) -> None:
    client, _ = chain
    for msg in (b"", b"abc", secrets.token_bytes(32), secrets.token_bytes(200)):
        assert chain_bls.g1_bytes(chain_bls.hash_to_point(msg)) == b"".join(
            c.to_bytes(32, "big") for c in client.hash_to_point(msg))


def test_anchor_accepted_and_published(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    start = client.w3.eth.block_number
    gas_one, calldata = _anchor(client, council, b"first batch")
    head = council.next_head(b"second batch", roster_digest=secrets.token_bytes(32), epoch=2)
    client.anchor(head, council.sign(client, head, signers=[2, 4, 5]))  # any t members
    council.accepted(head)
    record = client.record(council.key_id)
    assert (record.seq, record.head, record.roster_digest, record.epoch) == (2, head.new_head, head.roster_digest, 2)
    assert record.pubkey == council.pubkey  # the key never changes
    assert client.rebuild_entries(council.key_id, start) == [b"first batch", b"second batch"]
    print(f"gas per anchor on py-evm (11-byte entries): {gas_one} ({calldata} of it calldata)")
    assert gas_one <= ANCHOR_GAS_GUARD + calldata  # target 200k + calldata; the head's hash varies (docs/chain.md)


def test_refused_fewer_than_t_shares(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    head = council.next_head()
    with pytest.raises(ChainError, match=f"anchor of key {council.key_id.hex()} refused.*council signature does not verify"):
        client.anchor(head, council.sign(client, head, signers=[1, 2]))
    assert client.record(council.key_id).seq == council.seq


def test_refused_wrong_key(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    head = council.next_head()
    other, _ = chain_bls.keygen()
    with pytest.raises(ChainError, match="council signature does not verify"):
        client.anchor(head, chain_bls.sign(other, head.message(client.chain_id, client.address)))


@pytest.mark.parametrize("where", ["chain id", "contract"])
def test_refused_message_for_another_chain_or_contract(chain: tuple[ChainClient, Council], where: str) -> None:
    client, council = chain
    head = council.next_head()
    chain_id, contract = (client.chain_id + 1, client.address) if where == "chain id" else (
        client.chain_id, "0x" + secrets.token_hex(20))
    message = anchor_message(chain_id, contract, head.key_id, head.seq, head.prev_head, head.new_head,
                             head.roster_digest, head.epoch, keccak(head.entries))
    with pytest.raises(ChainError, match="council signature does not verify"):
        client.anchor(head, chain_bls.threshold_sign(council.shares, [1, 2, 3], message))


def test_refused_stale_or_not_extending(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    signature = b"\0" * 64  # never reached: the head checks come first
    with pytest.raises(ChainError, match="prev_head is not the anchored head"):
        client.anchor(council.next_head(prev_head=secrets.token_bytes(32)), signature)
    with pytest.raises(ChainError, match="seq does not extend the anchored head"):
        client.anchor(council.next_head(seq=council.seq), signature)
    with pytest.raises(ChainError, match="epoch is older than the anchored epoch"):
        client.anchor(council.next_head(epoch=council.epoch - 1), signature)
    with pytest.raises(ChainError, match="key id not registered"):
        client.anchor(council.next_head(key_id=secrets.token_bytes(32)), signature)


def test_replay_is_refused_by_the_contract_and_idempotent_in_the_client(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    head = council.next_head()
    signature = council.sign(client, head)
    client.anchor(head, signature)
    again = client.anchor(head, signature)  # the same anchor again: already there, success
    assert again.already_anchored and again.tx_hash is None
    fn = client.contract.functions.anchor(head.key_id, head.seq, head.prev_head, head.new_head,
                                          head.roster_digest, head.epoch, head.entries, signature,
                                          list(hash_to_g1_hint(head.message(client.chain_id, client.address))))
    with pytest.raises(Exception, match="prev_head is not the anchored head"):
        fn.call()  # the contract itself refuses the replayed transaction


def test_refused_malformed_signatures(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    head = council.next_head()
    good = council.sign(client, head)
    x, y = good[:32], good[32:]
    flipped = bytes(good[:63]) + bytes([good[63] ^ 1])
    cases = {
        "signature coordinate not below p": P.to_bytes(32, "big") + y,
        "signature is the point at infinity": b"\0" * 64,
        "signature is not on the G1 curve": flipped,
    }
    for reason, sig in cases.items():
        with pytest.raises(ChainError, match=reason):
            client.anchor(head, sig)
    with pytest.raises(ValueError, match="64 bytes"):
        client.anchor(head, x)


def test_refused_oversized_entries_before_sending(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    head = council.next_head(b"x" * (MAX_ENTRIES + 1))
    with pytest.raises(ChainError, match=f"exceed the contract's limit of {MAX_ENTRIES}"):
        client.anchor(head, b"\1" * 64)


def test_register_refusals(chain: tuple[ChainClient, Council], tmp_path) -> None:
    client, council = chain
    fresh = Council.new()

    def attempt(pubkey: bytes, pop: bytes, key_id: bytes = fresh.key_id) -> None:
        client.register(key_id, pubkey, fresh.roster_digest, 1, 0, fresh.head, pop)

    def pop(sk: int, pubkey: bytes = fresh.pubkey, chain_id: int = client.chain_id) -> bytes:
        return chain_bls.sign(sk, register_message(chain_id, client.address, fresh.key_id, pubkey,
                                                   fresh.roster_digest, 1, 0, fresh.head))

    with pytest.raises(ChainError, match=f"registration of key {council.key_id.hex()} refused.*already registered"):
        attempt(fresh.pubkey, pop(fresh.sk), key_id=council.key_id)
    other, _ = chain_bls.keygen()
    with pytest.raises(ChainError, match="proof of possession does not verify"):
        attempt(fresh.pubkey, pop(other))  # signed with a key other than the one registered
    with pytest.raises(ChainError, match="proof of possession does not verify"):
        attempt(fresh.pubkey, pop(fresh.sk, chain_id=client.chain_id + 1))
    words = [fresh.pubkey[i:i + 32] for i in range(0, 128, 32)]
    with pytest.raises(ChainError, match="public key coordinate not below p"):
        attempt(P.to_bytes(32, "big") + b"".join(words[1:]), pop(fresh.sk))
    with pytest.raises(ChainError, match="public key is the point at infinity"):
        attempt(b"\0" * 128, b"\0" * 63 + b"\1")
    off_curve = b"".join(words[:3]) + ((int.from_bytes(words[3], "big") + 1) % P).to_bytes(32, "big")
    with pytest.raises(ChainError, match="public key is not a valid G2 point"):
        attempt(off_curve, pop(fresh.sk))
    assert not client.record(fresh.key_id).registered
    fresh.register(client)  # and the honest registration goes through
    assert client.record(fresh.key_id).pubkey == fresh.pubkey


def test_revert_mined_with_status_zero(chain: tuple[ChainClient, Council], tmp_path) -> None:
    """A transaction that passed estimation but lost to a competing head is mined with status 0."""
    client, council = chain
    rival = ChainClient(client.w3, client.address, funded_signer(client.w3, tmp_path, "rival"))
    mine_head, theirs = council.next_head(b"ours"), council.next_head(b"theirs")
    prepared = client.prepare_anchor(mine_head, council.sign(client, mine_head))
    rival.anchor(theirs, council.sign(client, theirs))
    with pytest.raises(ChainError, match=f"anchor of key {council.key_id.hex()} refused.*prev_head is not the anchored head"):
        client.send(prepared)  # type: ignore[arg-type]


def test_nonce_taken_by_the_same_account(chain: tuple[ChainClient, Council]) -> None:
    """Two processes sharing one account: the second transaction finds its nonce used, is signed
    again, and then meets the contract's real answer."""
    client, council = chain
    mine_head, theirs = council.next_head(b"ours"), council.next_head(b"theirs")
    prepared = client.prepare_anchor(mine_head, council.sign(client, mine_head))
    client.anchor(theirs, council.sign(client, theirs))  # same account, same nonce
    with pytest.raises(ChainError, match="prev_head is not the anchored head"):
        client.send(prepared)  # type: ignore[arg-type]


def test_race_between_members_is_idempotent(chain: tuple[ChainClient, Council], tmp_path) -> None:
    client, council = chain
    rival = ChainClient(client.w3, client.address, funded_signer(client.w3, tmp_path, "rival"))
    head = council.next_head()
    signature = council.sign(client, head)
    ours, theirs = client.prepare_anchor(head, signature), rival.prepare_anchor(head, signature)
    won = rival.send(theirs)  # type: ignore[arg-type]
    lost = client.send(ours)  # type: ignore[arg-type]
    assert not won.already_anchored and lost.already_anchored
    assert client.record(council.key_id).head == head.new_head


def test_confirmations_and_reorg(chain: tuple[ChainClient, Council]) -> None:
    client, council = chain
    start = client.w3.eth.block_number
    head = council.next_head()
    prepared = client.prepare_anchor(head, council.sign(client, head))
    before = snapshot(client.w3)
    client.send(prepared)  # type: ignore[arg-type]
    mine(client.w3, 2)
    event = client.wait_confirmed(head, confirmations=3, timeout=30, from_block=start)
    assert event.new_head == head.new_head and event.entries == head.entries
    revert(client.w3, before)  # the anchor's block is gone: a reorg
    assert client.record(council.key_id).head == council.head
    with pytest.raises(ChainError, match="not confirmed by 3 blocks"):
        client.wait_confirmed(head, confirmations=3, timeout=0.5, from_block=start)
    # the waiting member broadcasts its transaction again; the chain then confirms it
    event = client.wait_confirmed(head, confirmations=1, timeout=60, from_block=start,
                                  rebroadcast=prepared.raw)  # type: ignore[union-attr]
    assert client.record(council.key_id).head == head.new_head and event.new_head == head.new_head


def test_product_bls_signs_heads_the_contract_accepts(chain: tuple[ChainClient, Council]) -> None:
    """council.crypto.bn254 (the members' BLS) and the contract agree on H(m) and on signatures."""
    from council.crypto.bn254 import bls
    from council.crypto.bn254.curve import Fr
    from council.crypto.bn254.hash_to_curve import hash_to_g1

    client, council = chain
    head = council.next_head(b"signed by the product code")
    message = head.message(client.chain_id, client.address)
    assert hash_to_g1(message).to_bytes() == b"".join(c.to_bytes(32, "big") for c in client.hash_to_point(message))
    assert bls.public_key(Fr(council.sk)).to_bytes() == council.pubkey
    result = client.anchor(head, bls.sign(Fr(council.sk), message).to_bytes())
    assert not result.already_anchored and client.record(council.key_id).head == head.new_head
