"""keycouncil: threshold custody of TEE state-dump keys.

`council.crypto` is the pure threshold-cryptography core (no I/O); the member node,
ceremony driver and attestation checks live beside it.
"""

__version__ = "0.1.0"
