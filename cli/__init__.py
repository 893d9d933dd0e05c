"""The `keycouncil` command: thin click wrappers, parsing and printing only."""
