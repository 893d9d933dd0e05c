"""The council's BN254 signing key on real members (in-process gRPC servers, mutual TLS): made by a
DKG that asks for it, carried by every re-share, stored sealed next to the state share and erased
with it, reported in the key bundle; the shares read back from the data folders sign together."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Sequence

import pytest
from node_helpers import Council

from council.bundle import KeyBundle
from council.crypto.bn254 import bls
from council.crypto.bn254.threshold import combine, sign_partial
from council.driver.catchup import run_catch_up
from council.driver.ceremony import run_dkg, run_reshare
from council.driver.phases import Timing
from council.driver.query import fetch_bundle
from council.errors import StorageError
from council.node.keystore import BN254_FILE
from council.roster import Roster

FAST = Timing(call_timeout=30, retry_window=0.3)


def _signs(c: Council, bundle: KeyBundle, roster: Roster, names: Sequence[str]) -> bool:
    """The `names`' BN254 shares of the bundle's epoch combine to a signature under its G2 key."""
    assert bundle.signing is not None
    message, ctx = secrets.token_bytes(32), b"test"
    partials = []
    for name in names:
        store = c.store(name)
        j = roster.index_of(c.members[name].identity.signer.public_key)
        assert j is not None
        partials.append(sign_partial(ctx, message, j, store.load_bn254_share(bundle.key_id, bundle.epoch)))
    result = combine(ctx, message, partials, bundle.signing.verification_shares, roster.threshold,
                     bundle.signing.public_key)
    return bls.verify(bundle.signing.public_key, message, result.signature)


def test_dkg_with_signing_key_then_reshares_carry_it(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c", "d")
    r1 = c.roster("r1", 2, ["a", "b", "c"])
    r2 = c.roster("r2", 3, ["a", "b", "c", "d"])
    for n in "abcd":
        c.serve(n, "r1")
    dkg = run_dkg(r1, "k", c.op(), FAST, signing_key=True)
    assert dkg.committed, dkg.lines()
    b0 = fetch_bundle(r1, "k", c.op(), FAST)
    assert b0.signing is not None and b0.commit.bn254_digest is not None
    assert KeyBundle.loads(b0.dumps()).signing == b0.signing  # survives the JSON round trip
    assert _signs(c, b0, r1, ["a", "c"]) and _signs(c, b0, r1, ["b", "c"])

    again = run_reshare(r1, r2, "k", c.op(), FAST)  # carried without being asked for
    assert again.committed, again.lines()
    b1 = fetch_bundle(r2, "k", c.op(), FAST)
    assert b1.signing is not None and b1.signing.public_key == b0.signing.public_key
    assert b1.public_key == b0.public_key
    assert _signs(c, b1, r2, ["b", "c", "d"])
    for n in "abc":  # the old epoch's shares are erased, both of them
        folder = c.store(n).epoch_dir("k", 0)
        assert not (folder / BN254_FILE).exists() and not (folder / "share.sealed").exists()
    status = c.servers["d"].node.status()
    assert [k.signing_public_key for k in status.keys] == [b0.signing.public_key.to_bytes()]
    assert all(k.holds_signing_share for k in status.keys)


def test_existing_key_gets_its_signing_key_by_a_reshare(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r")
    assert run_dkg(r, "k", c.op(), FAST).committed
    assert fetch_bundle(r, "k", c.op(), FAST).signing is None
    report = run_reshare(r, r, "k", c.op(), FAST, signing_key=True)
    assert report.committed, report.lines()
    b = fetch_bundle(r, "k", c.op(), FAST)
    assert b.signing is not None and b.epoch == 1
    assert _signs(c, b, r, ["a", "b"])


def test_member_offline_during_dkg_catches_up_its_signing_share(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "ab":
        c.serve(n, "r")
    assert run_dkg(r, "k", c.op(), FAST, signing_key=True).committed
    c.serve("c", "r")
    assert run_catch_up(r, "k", c.op(), FAST)["c"] == "caught up to epoch 0"
    b = fetch_bundle(r, "k", c.op(), FAST)
    assert _signs(c, b, r, ["a", "c"])


def test_a_signing_share_of_another_member_or_epoch_is_refused(council: Council) -> None:
    c = council
    c.add_members("a", "b", "c")
    r = c.roster("r", 2, ["a", "b", "c"])
    for n in "abc":
        c.serve(n, "r")
    assert run_dkg(r, "k", c.op(), FAST, signing_key=True).committed
    a, b = c.store("a"), c.store("b")
    shutil.copy(b.epoch_dir("k", 0) / BN254_FILE, a.epoch_dir("k", 0) / BN254_FILE)
    with pytest.raises(StorageError, match="belongs to the member"):
        a.load_bn254_share("k", 0)
