"""
Advisory-lock keys.

Postgres's own `hashtext` is 32 bits, so two of a few hundred thousand leads would
share a lock; we hash to the full signed 64-bit key space of `pg_advisory_xact_lock`.
"""

from __future__ import annotations

import hashlib

__all__ = ["lock_key"]


def lock_key(namespace: str, key: str) -> int:
    """Return a stable signed 64-bit advisory-lock key for `key` within `namespace`."""
    digest = hashlib.blake2b(f"{namespace}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
