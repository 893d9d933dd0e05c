"""The council's signing key on BN254: EVM encodings, drand's hash to G1, threshold BLS (pure)."""
