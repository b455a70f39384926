"""
The security limits, counted in Postgres (`storage.limits`): each decision is one call
under a lock per key, so a limit holds however many requests arrive at once and on
however many replicas. A try is taken before anything is checked; over the limit the
request is refused unchecked (the right password or token too) until the window passes.

    what                             per client address   in all   window
    wrong STUDIO_PASSWORD                     5              20     10 minutes
    "Send me a sign-in link"                  3               5     10 minutes
    wrong admin bearer token                 10               -     10 minutes
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import Database
from storage.limits import Try

__all__ = ["ADMIN_TOKENS", "LINK_REQUESTS", "PASSWORDS", "Limit", "Limits", "Try"]


@dataclass(frozen=True)
class Limit:
    scope: str
    per_address: int
    in_all: int | None  # None: no overall cap
    window_s: int


PASSWORDS = Limit("studio_password", 5, 20, 10 * 60)
LINK_REQUESTS = Limit("sign_in_link", 3, 5, 10 * 60)
ADMIN_TOKENS = Limit("admin_token", 10, None, 10 * 60)


@dataclass(frozen=True)
class Limits:
    """Takes and gives back tries, each in a transaction of its own."""

    _db: Database

    async def take(self, limit: Limit, address: str, *, counts: bool = True) -> Try:
        """A try for `address` (`counts` False: whether one is free, taking none)."""
        async with self._db.records() as unit:
            taken = await unit.attempts.take(
                limit.scope,
                address,
                limit.per_address,
                limit.in_all,
                limit.window_s,
                counts=counts,
            )
            await unit.commit()
        return taken

    async def give_back(self, taken: int) -> None:
        async with self._db.records() as unit:
            await unit.attempts.give_back(taken)
            await unit.commit()
