"""Local files of members and operators: atomic writes, sealed secrets, identities, folder helpers."""
