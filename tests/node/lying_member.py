"""A member process that lies in one kind of answer, while doing everything else honestly.

Usage: python lying_member.py FOLDER ROSTER HOW. To council-log proposals it approves, but the
approval it sends is not a valid approval of the proposed entry by this member, HOW one of
- bad-signature: its own key, the signature with one bit flipped;
- other-member: another member's key (the roster's first other member) with its own signature;
- other-entry: its own valid signature, but over the entry at the next seq;
- replayed: another member's genuine approval of this very entry, got by proposing the entry to
  that member itself (any roster certificate may call Propose);
- junk: bytes that do not decode as an approval.
The member persists its (real) approval as usual; only the reply is changed. In ceremonies, HOW
one of junk-dealing, junk-response, junk-commit-signature (bytes that do not decode as a signed
message in the Deal, Check or Output reply), forged-commit-signature (its commit signature with
one bit flipped), impersonated-dealing, impersonated-response (its dealing or response relabelled
as the first member's, its own signature kept). Asked to author the epoch-committed entry, HOW
one of junk-entry (bytes that do not decode as an entry) or wrong-epoch (its own signed entry,
for an epoch five past the one it stored). Used by tests/node/test_lying_member.py: one such
member must not be able to stall the log or a ceremony.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from council.crypto.messages import Signed
from council.driver.client import MemberClient
from council.localnet.member_process import tie_to_parent
from council.log import Approval, Entry
from council.log.entry import APPROVAL_KIND, approval_message
from council.node.log_book import Answer
from council.node.log_service import LogServicer
from council.node.node import MemberNode
from council.node.results import OutputResult
from council.node.runtime import open_member
from council.node.server import serve_forever, start
from council.protocol.gen import log_pb2 as pb
from council.protocol.gen import log_pb2_grpc as pb_grpc
from council.roster import MemberCard

_APPROVAL_LIES = ("bad-signature", "other-member", "other-entry", "replayed", "junk")
_CEREMONY_LIES = ("junk-dealing", "junk-response", "junk-commit-signature", "forged-commit-signature",
                  "impersonated-dealing", "impersonated-response", "junk-entry", "wrong-epoch")


class _Junk:
    """Stands in for an Approval or a Signed message whose bytes are not one."""

    def to_bytes(self) -> bytes:
        return b"\x01not an approval"


def _approval_of(node: MemberNode, card: MemberCard, entry: Entry) -> Approval:
    """`card`'s member's own approval of `entry`, asked for with this member's certificate."""
    client = MemberClient(card, node.folder)
    try:
        reply = client.stub_for(pb_grpc.CouncilLogStub).Propose(pb.ProposeRequest(entry=entry.to_bytes()), timeout=10)
    finally:
        client.close()
    return Approval.from_bytes(reply.approval)


def _lie_in_ceremonies(node: MemberNode, how: str) -> None:
    """Replace this member's Deal, Check or Output answer as `how` says (after the honest step)."""
    deal, check, output = node.deal, node.check, node.output

    def junk_after(step: Callable[..., object]) -> Callable[..., object]:
        def lied(*args: object) -> object:
            step(*args)
            return _Junk()
        return lied

    def lied_output(*args: object) -> OutputResult:
        r = output(*args)  # type: ignore[arg-type]
        if r.commit_signature is None:
            return r
        if how == "junk-commit-signature":
            return replace(r, commit_signature=_Junk())  # type: ignore[arg-type]
        sig = r.commit_signature.signature
        return replace(r, commit_signature=replace(r.commit_signature, signature=sig[:-1] + bytes([sig[-1] ^ 1])))

    def as_first_member(step: Callable[..., Signed | None]) -> Callable[..., Signed | None]:
        def lied(*args: object) -> Signed | None:
            m = step(*args)
            return None if m is None else replace(m, sender=1)
        return lied

    if how == "junk-dealing":
        node.deal = junk_after(deal)  # type: ignore[method-assign]
    elif how == "junk-response":
        node.check = junk_after(check)  # type: ignore[method-assign]
    elif how == "impersonated-dealing":
        node.deal = as_first_member(deal)  # type: ignore[method-assign]
    elif how == "impersonated-response":
        node.check = as_first_member(check)  # type: ignore[method-assign]
    elif how in ("junk-commit-signature", "forged-commit-signature"):
        node.output = lied_output  # type: ignore[method-assign]
    elif how == "wrong-epoch":
        honest_body = node.epoch_entry
        node.epoch_entry = lambda key_id: replace(honest_body(key_id), epoch=honest_body(key_id).epoch + 5)  # type: ignore[method-assign]
    elif how == "junk-entry":
        honest_author = LogServicer.Author

        def author(self: LogServicer, request: pb.AuthorRequest, context: object) -> pb.AuthorReply:
            reply = honest_author(self, request, context)  # type: ignore[arg-type]
            return pb.AuthorReply(entry=b"\x02not an entry") if request.kind == "epoch-committed" else reply

        LogServicer.Author = author  # type: ignore[method-assign]


def main() -> None:
    tie_to_parent()
    folder, roster, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    if how not in _APPROVAL_LIES + _CEREMONY_LIES:
        raise SystemExit(f"lying_member.py: unknown HOW {how!r}")
    node = open_member(folder, roster, None)
    honest = node.logbook.propose
    own_key = node.folder.identity.signer.public_key
    other_card = next(m for m in node.served.members if m.signing_key != own_key)
    other_key = other_card.signing_key

    def lie(entry: Entry) -> Answer:
        answer = honest(entry)
        a = answer.approval
        if a is None or how in _CEREMONY_LIES:
            return answer
        if how == "bad-signature":
            lied = replace(a, signature=a.signature[:-1] + bytes([a.signature[-1] ^ 1]))
        elif how == "other-member":
            lied = replace(a, member_key=other_key)
        elif how == "other-entry":
            later = approval_message(entry.key_id, entry.seq + 1, entry.digest)
            lied = replace(a, signature=node.folder.identity.signer.sign(APPROVAL_KIND, later))
        elif how == "replayed":
            lied = _approval_of(node, other_card, entry)
        else:  # junk
            lied = _Junk()  # type: ignore[assignment]
        return replace(answer, approval=lied)

    node.logbook.propose = lie  # type: ignore[method-assign]
    _lie_in_ceremonies(node, how)
    serve_forever(start(node, node.folder.listen))


if __name__ == "__main__":
    main()
