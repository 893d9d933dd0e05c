"""keycouncil: threshold custody of TEE state-dump keys.

`council.crypto` is the pure threshold-cryptography core (no I/O); the layers around it, from the
core out to the member node and its clients, are described in docs/architecture.md.
"""

from council import moved as _moved

__version__ = "0.1.0"
_moved.install()
