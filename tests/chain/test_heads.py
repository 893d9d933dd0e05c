"""The pure mapping of a council log onto CouncilAnchor heads (council/chain/heads.py, audit.py),
the member's partial codec, the BN254 public data codec, and the ceremony request's new fields."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest

from council.chain.audit import chain_state, compare
from council.chain.heads import (
    ANCHOR,
    AnchorPartial,
    batch_head,
    chain_key_id,
    entry_head,
    partial_context,
    split_entries,
)
from council.crypto.bn254.curve import G1, G2, Fr, R
from council.crypto.bn254.sharing import BnPrevious
from council.crypto.bn254.threshold import combine, sign_partial
from council.errors import DecodeError
from council.log.entry import GENESIS_PREVIOUS
from council.log.sim import sample_log


def test_batch_heads_chain_and_their_entries_read_back() -> None:
    records = sample_log().records
    entries = [r.entry for r in records]
    roster = secrets.token_bytes(32)
    first = batch_head("app-key", entries[:3], roster, 0)
    assert (first.seq, first.prev_head, first.new_head) == (3, GENESIS_PREVIOUS, entries[2].digest)
    second = batch_head("app-key", entries[3:], roster, 0)
    assert second.prev_head == first.new_head and second.seq == len(entries)
    assert [e.digest for e in split_entries(first.entries) + split_entries(second.entries)] == \
        [e.digest for e in entries]
    assert entry_head(entries[4], roster, 0).prev_head == entries[3].digest
    assert first.key_id == chain_key_id("app-key") != chain_key_id("app-key2")
    with pytest.raises(ValueError, match="not consecutive"):
        batch_head("app-key", [entries[0], entries[2]], roster, 0)
    with pytest.raises(DecodeError):
        split_entries(first.entries[:-1])


def test_the_chain_state_follows_the_log_and_compare_names_hidden_entries() -> None:
    records = sample_log().records
    entries = [r.entry for r in records]
    state = chain_state("app-key", entries)
    assert state.next_seq == len(entries) and state.head == entries[-1].digest
    assert compare("app-key", records, entries[:2]).ok  # the chain may be behind
    hidden = compare("app-key", records[:2], entries)
    assert not hidden.ok and "hidden" in hidden.problems[0]
    other = compare("app-key", records, [entries[0], replace(entries[1], previous=bytes(32))])
    assert not other.ok


def test_anchor_partials_round_trip_and_combine() -> None:
    secret = Fr.random()
    a1, a2 = Fr.random(), Fr.random()  # f(x) = secret + a1 x + a2 x², t = 3
    shares = {j: Fr((secret.value + a1.value * j + a2.value * j * j) % R)
              for j in (1, 2, 3, 4)}
    ys = {j: G1.base_mul(s) for j, s in shares.items()}
    message, ctx = secrets.token_bytes(32), partial_context("k", 2, ANCHOR)
    partials = []
    for j in (1, 3, 4):
        p = AnchorPartial(31337, bytes(20), 2, bytes(32), sign_partial(ctx, message, j, shares[j]))
        again = AnchorPartial.from_bytes(p.to_bytes())
        assert again == p
        partials.append(again.partial)
    result = combine(ctx, message, partials, ys, 3, G2.base_mul(secret))
    assert result.used == (1, 3, 4)
    with pytest.raises(DecodeError):
        AnchorPartial.from_bytes(p.to_bytes()[:-1])


def test_bn254_public_data_round_trips_and_refuses_damage() -> None:
    k = Fr.random()
    prev = BnPrevious(G2.base_mul(k), G1.base_mul(k), {1: G1.base_mul(Fr(5)), 3: G1.base_mul(Fr(7))})
    raw = prev.to_bytes()
    assert BnPrevious.from_bytes(raw) == prev
    for bad in (raw[:-1], raw + b"\0", raw[:-66] + (0).to_bytes(2, "big") + raw[-64:]):
        with pytest.raises(DecodeError):
            BnPrevious.from_bytes(bad)
