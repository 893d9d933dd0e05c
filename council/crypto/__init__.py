"""The threshold-cryptography core: pure, no I/O, no clocks (docs/protocol.md)."""
