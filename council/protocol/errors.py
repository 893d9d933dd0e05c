"""Errors of recovery, each a subclass of the `council.errors` class that says what to do about it.

Messages name files, members, key ids and epochs; never share, key or mnemonic bytes.
"""

from __future__ import annotations

from council.errors import DecodeError, NotEnoughShares, PolicyRefused, ShareInvalid, StorageError


class BackupFileInvalid(DecodeError):
    """A backup file does not parse, or its public part is inconsistent."""


class BackupIncomplete(NotEnoughShares):
    """Not enough mnemonics for a member, or not enough members for the threshold."""


class BackupMismatch(StorageError):
    """Backups that cannot be used together: mixed keys or epochs, or a backup of another key."""


class BackupShareInvalid(ShareInvalid):
    """A restored share fails `x_i·G == Y_i`: wrong passphrase, wrong label, or damaged words."""


class StaleBackup(PolicyRefused):
    """A backup of an epoch other than the node's current one."""


class RequestInvalid(DecodeError):
    """A recovery request (or target package) does not decode or is inconsistent."""


class RecoveryFailed(NotEnoughShares):
    """Fewer than `t` members gave a valid decryption share."""
