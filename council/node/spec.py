"""How a member builds a ceremony's spec itself, from the request's rosters and its own epochs.

The driver is never trusted for the spec: (1) the request must be signed by an operator of the
council's roster, over the same TLS identity; (2) a DKG must be for the roster this member serves
and a key it does not hold; (3) a re-share starts from the previous epoch as this member stored it
(an old member) or as `t` old members signed it (a new member); (4) the member takes the roles its
signing key has in the old and new rosters; (5) the council log rules (docs/log-format.md): every
roster has t > n/2, and a re-share deals only from the key's current roster in its log to a roster
accepted in its log (or the same roster again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from council.crypto.bn254.curve import Fr
from council.crypto.group import Scalar
from council.crypto.messages import CeremonySpec, Kind, PreviousEpoch
from council.errors import CeremonyError, PolicyRefused
from council.log import (
    EpochCommitted,
    Genesis,
    LogRecord,
    LogState,
    ThresholdTooLow,
    require_majority,
)
from council.node.keystore import KeyStore, check_key_id
from council.node.log_book import LogBook
from council.protocol.ceremony_request import SignedRequest
from council.roster import Roster


@dataclass(frozen=True)
class Roles:
    """The spec and this member's part in it."""

    spec: CeremonySpec
    dealer_index: int | None
    receiver_index: int | None
    dealer_share: Scalar | None
    dealer_bn254_share: Fr | None = None


def authorise(req: SignedRequest, trusted: list[Roster], peer_cert: bytes | None,
              cert_der: dict[str, bytes]) -> str:
    """Step (1): the signer is an operator of the authorising roster and of a roster this member
    trusts, and the TLS peer is that operator. Returns the operator's name."""
    name = req.operator_name()
    if not any(op.signing_key == req.operator_key for r in trusted for op in r.operators):
        raise PolicyRefused(f"operator {name!r} is not an operator of this member's roster")
    if peer_cert is not None and cert_der.get(req.operator_key.hex()) != peer_cert:
        raise PolicyRefused(f"the TLS client is not operator {name!r}")
    return name


def build_roles(req: SignedRequest, store: KeyStore, served: Roster, log: LogBook,
                catching_up: bool = False) -> Roles:
    """Steps (2)-(5); `catching_up`: the epoch is one the log already records as committed."""
    r = req.request
    check_key_id(r.key_id)
    own = store.signing_key
    _majority(r.new_roster)
    if r.kind is Kind.DKG:
        if r.new_roster.digest() != served.digest():
            raise PolicyRefused("a DKG must be for the roster this member serves")
        if store.epochs(r.key_id):
            raise CeremonyError(f"key {r.key_id!r} exists already on this member: a DKG would replace it")
        if catching_up:
            _check_logged_epoch(req, log.effective(r.key_id), log)
        elif log.state(r.key_id).started:
            raise PolicyRefused(f"key {r.key_id!r} has a council log already: a DKG would replace its key")
        j = _index(r.new_roster, own)
        committee = r.new_roster.committee()
        spec = CeremonySpec(Kind.DKG, r.ceremony_id, r.key_id, 0, committee, committee, bn254=r.signing_key)
        return Roles(spec, j, j, None)
    state = log.effective(r.key_id)
    if catching_up:
        _check_logged_epoch(req, state, log)
    else:
        _check_logged_rosters(req, state)
    return _reshare_roles(req, store)


def _majority(roster: Roster) -> None:
    try:
        require_majority(roster.threshold, len(roster.members), "the ceremony's roster")
    except ThresholdTooLow as exc:
        raise PolicyRefused(str(exc)) from None


def _check_logged_rosters(req: SignedRequest, state: LogState) -> None:
    """Step (5): the old roster is the log's current one, the new one is accepted in the log."""
    r = req.request
    assert r.old_roster is not None
    if not state.started:
        raise PolicyRefused(f"key {r.key_id!r} has no genesis entry in its council log: members re-share "
                            "only keys whose log is started (keycouncil log genesis)")
    if state.retired is not None:
        raise PolicyRefused(f"key {r.key_id!r} is retired (log entry {state.retired.seq}): it is never re-shared")
    assert state.roster is not None
    if r.old_roster.digest() != state.roster.digest():
        raise PolicyRefused(f"key {r.key_id!r}: the request's old roster {r.old_roster.digest().hex()[:16]}… is "
                            f"not the key's current roster in its log ({state.roster.digest().hex()[:16]}…)")
    new = r.new_roster.digest()
    # the log's own rule (rules.py, epoch.roster): the pending roster if one is accepted, else the
    # same roster again; a re-share the log cannot record would leave the key where the log does not say
    expected = state.pending.roster.digest() if state.pending is not None else state.roster.digest()
    if new != expected:
        raise PolicyRefused(f"key {r.key_id!r}: the new roster {new.hex()[:16]}… is not accepted in the key's "
                            "council log; a re-share deals only to a roster accepted there (propose it with "
                            "keycouncil roster propose: it needs the approval of t members)")


def _check_logged_epoch(req: SignedRequest, state: LogState, log: LogBook) -> None:
    """Catch-up: the key's log records this epoch as committed to the request's new roster (and,
    for an epoch older than the log's current one, the epoch before it to the old roster)."""
    r = req.request
    if not state.started and r.kind is Kind.DKG:
        return  # a key whose genesis entry is not accepted yet: nothing in the log to contradict
    if state.retired is not None:
        raise PolicyRefused(f"key {r.key_id!r} is retired (log entry {state.retired.seq}): this member takes "
                            "part in no ceremony of it, catch-up included")
    if state.roster is None or state.epoch < r.epoch:
        raise PolicyRefused(f"key {r.key_id!r} epoch {r.epoch} is not recorded as committed in this member's "
                            f"council log (it is at epoch {state.epoch}): the log must be brought up to date first")
    if state.epoch == r.epoch and state.roster.digest() != r.new_roster.digest():
        raise PolicyRefused(f"key {r.key_id!r} epoch {r.epoch}: the log records another roster for this epoch")
    if state.epoch > r.epoch:  # decision 140: an older epoch is checked against the log's own entries for it
        logged = logged_rosters(log.records(r.key_id))
        _logged_as(r.key_id, r.epoch, r.new_roster, logged)
        if r.kind is Kind.RESHARE and r.old_roster is not None and r.epoch - 1 >= min(logged):
            _logged_as(r.key_id, r.epoch - 1, r.old_roster, logged)  # unless it predates the log's genesis
    if r.kind is Kind.RESHARE and r.previous is not None and \
            r.previous.commit.public_key.to_bytes() != state.public_key:
        raise PolicyRefused(f"key {r.key_id!r}: the previous epoch's public key is not the key's public key in its "
                            "council log (a re-share keeps the key; catch-up follows the log)")


def logged_rosters(records: Sequence[LogRecord]) -> dict[int, bytes]:
    """Epoch → roster digest, as the log's genesis and epoch-committed entries record them."""
    out: dict[int, bytes] = {}
    for record in records:
        body = record.entry.body
        if isinstance(body, Genesis):
            out[body.epoch] = body.roster.digest()
        elif isinstance(body, EpochCommitted):
            out[body.epoch] = body.roster_digest
    return out


def _logged_as(key_id: str, epoch: int, roster: Roster, logged: dict[int, bytes]) -> None:
    """PolicyRefused unless the log records `epoch` of the key as committed to `roster`: a catch-up
    to an epoch of the operator's making would store a share of its key, change the roster this
    member serves and erase the real share."""
    if logged.get(epoch) != roster.digest():
        found = logged[epoch].hex()[:16] + "…" if epoch in logged else "no roster"
        raise PolicyRefused(f"key {key_id!r} epoch {epoch}: the council log records {found} for this epoch, "
                            f"not the request's roster {roster.digest().hex()[:16]}… (catch-up follows the log)")


def _reshare_roles(req: SignedRequest, store: KeyStore) -> Roles:
    r = req.request
    assert r.old_roster is not None and r.previous is not None
    prev_epoch = r.previous.commit.epoch
    current = store.current(r.key_id)
    if current is not None and current.epoch > prev_epoch:
        raise CeremonyError(f"key {r.key_id!r}: this member is at epoch {current.epoch}, "
                            f"the request re-shares epoch {prev_epoch}")
    previous, dealer, share = _previous(req, store)
    receiver = r.new_roster.index_of(store.signing_key)
    if dealer is None and receiver is None:
        raise PolicyRefused(f"this member has no part in re-sharing key {r.key_id!r} "
                            f"epoch {prev_epoch}: not a dealer holding a share, not a new member")
    bn_share = None
    if dealer is not None and previous.bn254 is not None:
        if not store.holds_bn254_share(r.key_id, prev_epoch):
            raise CeremonyError(f"key {r.key_id!r} epoch {prev_epoch} has a BN254 signing key, but this member "
                                "holds no share of it: it cannot deal in this re-share")
        bn_share = store.load_bn254_share(r.key_id, prev_epoch)
    spec = CeremonySpec(Kind.RESHARE, r.ceremony_id, r.key_id, prev_epoch + 1,
                        r.old_roster.committee(), r.new_roster.committee(), previous,
                        bn254=r.signing_key or previous.bn254 is not None)
    return Roles(spec, dealer, receiver, share, bn_share)


def _previous(req: SignedRequest, store: KeyStore) -> tuple[PreviousEpoch, int | None, Scalar | None]:
    """The previous epoch from own storage if this member holds it, else from t signatures."""
    r = req.request
    assert r.old_roster is not None and r.previous is not None
    epoch = r.previous.commit.epoch
    i = r.old_roster.index_of(store.signing_key)
    if i is not None and epoch in store.epochs(r.key_id):
        rec = store.record(r.key_id, epoch)
        if rec.commit.roster_digest != r.old_roster.digest():
            raise CeremonyError(f"key {r.key_id!r} epoch {epoch}: the request's old roster is not "
                                "the roster this member committed")
        if rec.commit != r.previous.commit:
            raise CeremonyError(f"key {r.key_id!r} epoch {epoch}: the request's commit differs "
                                "from the one this member stored")
        previous = PreviousEpoch(epoch, rec.commit.public_key, dict(rec.verification_shares), rec.bn254)
        if rec.holds_share and rec.member_index == i:
            return previous, i, store.load_share(r.key_id, epoch)
        return previous, None, None
    return r.previous.verified_against(r.old_roster, r.key_id), None, None


def _index(roster: Roster, signing_key: bytes) -> int:
    j = roster.index_of(signing_key)
    if j is None:
        raise PolicyRefused("this member is not in the ceremony's roster")
    return j
