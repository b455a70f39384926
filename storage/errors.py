"""
Storage errors.

    StorageError
     +-- DatabaseUnavailable      the database cannot be reached (callers answer 503)
     +-- TransactionConflict      a serialization failure or deadlock: retry the unit
     +-- DatabaseError            any other statement Postgres refused (a bug, or the
     |                            schema is not what this code expects)
     +-- StaleSnapshot            a compare-and-set on a snapshot version failed
     +-- MigrationError           a migration file is broken or was edited after it ran
"""

from __future__ import annotations

__all__ = [
    "DatabaseError",
    "DatabaseUnavailable",
    "MigrationError",
    "StaleSnapshot",
    "StorageError",
    "TransactionConflict",
]


class StorageError(Exception):
    """Base of every error raised by `storage`."""


class DatabaseUnavailable(StorageError):
    """The database could not be reached or dropped the connection."""


class TransactionConflict(StorageError):
    """Postgres aborted the transaction to keep it serializable; running it again may pass."""


class DatabaseError(StorageError):
    """A statement failed for a reason other than the connection or a conflict."""


class StaleSnapshot(StorageError):
    """
    The snapshot's version moved under us.

    Under the lead's advisory lock this only happens when the lock was lost without
    our knowing (killed backend, failover): the turn must fail rather than overwrite.
    """


class MigrationError(StorageError):
    """A migration could not be applied, or an applied one no longer matches its file."""
