"""
The attempts the security limits count (wrong passwords, sign-in link requests, wrong
admin tokens), per scope and client address, in Postgres so every replica sees one count.

Taking a try is one call of `take_attempt` (migration 0021): under a lock per scope (per
address when the scope has no overall cap) it counts the window and writes the try only
when both counts are under their limits. A try that turned out right is given back (or,
for the admin token, a right one takes none: `counts=False`).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

__all__ = ["Attempts", "Try"]

_TAKE = "SELECT taken, retry_after_s FROM take_attempt($1, $2, $3, $4, $5, $6)"
_GIVE_BACK = "DELETE FROM security_attempts WHERE id = $1"


@dataclass(frozen=True)
class Try:
    """A try taken (its id; 0: free but not counted), or refused (None): the seconds
    until one frees up."""

    taken: int | None
    retry_after_s: int


class Attempts:
    """Tries under the limits, on the caller's connection (commit at once: the lock is
    the transaction's)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def take(
        self,
        scope: str,
        address: str,
        per_address: int,
        in_all: int | None,
        window_s: float,
        *,
        counts: bool = True,
    ) -> Try:
        """Take a try (`counts` False: only whether one is free, nothing written)."""
        row = await self._con.fetchrow(_TAKE, scope, address, per_address, in_all, window_s, counts)
        assert row is not None  # a function with OUT parameters answers one row
        return Try(row["taken"], row["retry_after_s"])

    async def give_back(self, taken: int) -> None:
        """Forget a try that was right: only wrong ones count."""
        await self._con.execute(_GIVE_BACK, taken)
