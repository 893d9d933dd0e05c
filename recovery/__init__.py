"""keycouncil recovery: share backups (SLIP-39), offline break-glass, the recovery coordinator and
the member-side release decision. See docs/recovery.md."""
