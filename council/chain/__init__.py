"""On-chain anchoring of the council log (docs/chain.md): the CouncilAnchor contract and its client.

`messages` builds the exact bytes the council signs (pure); `artefact` loads the committed ABI and
bytecode; `account` loads the submitting account's key from a 0600 file; `client` deploys,
registers, anchors, waits for confirmations and reads the `Anchored` events back.
"""
