"""The ceremony driver and council queries: an operator's side of the network."""
