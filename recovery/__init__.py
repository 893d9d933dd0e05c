"""keycouncil recovery: the recovery coordinator (choose the dump, ask members, verify, combine,
decrypt or hand to a target) and offline break-glass from share backups. See docs/recovery.md.
The member's side of recovery lives in `council.node.release`; what both sides agree on in
`council.protocol`."""

import council as _council  # noqa: F401  (installs the aliases of modules moved out of recovery/)
