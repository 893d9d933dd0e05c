"""A member process whose answers to council-log proposals lie: it approves, but the approval it
sends is not a valid approval of the proposed entry by this member.

Usage: python lying_member.py FOLDER ROSTER HOW, HOW one of
- bad-signature: its own key, the signature with one bit flipped;
- other-member: another member's key (the roster's first other member) with its own signature;
- other-entry: its own valid signature, but over the entry at the next seq;
- replayed: another member's genuine approval of this very entry, got by proposing the entry to
  that member itself (any roster certificate may call Propose);
- junk: bytes that do not decode as an approval.
The member persists its (real) approval as usual; only the reply is changed. Used by
tests/node/test_lying_member.py: one such member must not be able to stall the log.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from council.driver.client import MemberClient
from council.localnet.member_process import tie_to_parent
from council.log import Approval, Entry
from council.log.entry import APPROVAL_KIND, approval_message
from council.node.log_book import Answer
from council.node.node import MemberNode
from council.node.runtime import open_member
from council.node.server import serve_forever, start
from council.protocol.gen import log_pb2 as pb
from council.protocol.gen import log_pb2_grpc as pb_grpc
from council.roster import MemberCard


class _Junk:
    """Stands in for an Approval whose bytes are not one."""

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


def main() -> None:
    tie_to_parent()
    folder, roster, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    node = open_member(folder, roster, None)
    honest = node.logbook.propose
    own_key = node.folder.identity.signer.public_key
    other_card = next(m for m in node.served.members if m.signing_key != own_key)
    other_key = other_card.signing_key

    def lie(entry: Entry) -> Answer:
        answer = honest(entry)
        a = answer.approval
        if a is None:
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
        elif how == "junk":
            lied = _Junk()  # type: ignore[assignment]
        else:
            raise SystemExit(f"lying_member.py: unknown HOW {how!r}")
        return replace(answer, approval=lied)

    node.logbook.propose = lie  # type: ignore[method-assign]
    serve_forever(start(node, node.folder.listen))


if __name__ == "__main__":
    main()
