"""
The artist's calendar feed: its key (when not set in the environment) and the booked
appointments it lists.

    FeedKeys          the one key row: read it, make it once (every replica agrees on
                      the first), replace it (rotation)
    BookedAppointments the live appointments (not holds) from the `appointments` table
                      the scheduling migration creates, with each lead's name and id
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["BookedAppointments", "BookedAt", "BookedRow", "FeedKey", "FeedKeys"]

_CURRENT = "SELECT key, rotated_at FROM calendar_feed_key"
_FIRST = """
INSERT INTO calendar_feed_key (id, key, rotated_at) VALUES (true, $1, $2)
ON CONFLICT (studio_id) DO NOTHING
"""
_ROTATE = """
INSERT INTO calendar_feed_key (id, key, rotated_at) VALUES (true, $1, $2)
ON CONFLICT (studio_id) DO UPDATE SET key = EXCLUDED.key, rotated_at = EXCLUDED.rotated_at
RETURNING key, rotated_at
"""

# Needs the scheduling migration's `appointments` table (kind 'hold' | 'appointment',
# status 'live' while it stands).
_BOOKED = """
SELECT a.id, l.lead_id::text AS lead_id, l.name AS lead_name, a.starts_at, a.ends_at,
       l.deposit, l.deposit_amount, l.paid_amount, p.quote, p.sessions, p.session_number,
       ld.state AS lead_state
FROM appointments a
JOIN lead_summaries l ON l.lead_key = a.lead_key
JOIN leads ld ON ld.lead_key = a.lead_key
JOIN lead_pieces p ON p.lead_key = a.lead_key
WHERE a.kind = 'appointment' AND a.status = 'live' AND a.ends_at >= $1
ORDER BY a.starts_at, a.id
"""

# The live appointment (at most one: they cannot overlap) that starts at $1.
_AT = """
SELECT id, lead_key, starts_at, ends_at FROM appointments
WHERE kind = 'appointment' AND status = 'live' AND starts_at = $1
"""


FeedKey = tuple[str, datetime]  # the key as kept, and when it was made (or last rotated)


@dataclass(frozen=True)
class BookedRow:
    """One live appointment, with the lead's opaque id, name and whole state (the
    actors read who the lead is and what they asked for from it)."""

    id: int
    lead_id: str
    lead_name: str | None
    starts_at: datetime
    ends_at: datetime
    # The lead's deposit (lead_summaries, migration 0023): where it stands, and the
    # amounts asked and paid in minor units (None: the usual one / not recorded).
    deposit: str | None = None
    deposit_amount: int | None = None
    paid_amount: int | None = None
    lead_state: Mapping[str, Any] = field(default_factory=dict)
    # A piece (lead_pieces, migration 0025): its price, its sessions and the one booked.
    quote: int | None = None
    sessions: int = 1
    session_number: int = 0


@dataclass(frozen=True)
class BookedAt:
    """A live appointment with its lead's key, for checking the lead's own link."""

    id: int
    lead_key: str
    starts_at: datetime
    ends_at: datetime


class FeedKeys:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def current(self) -> FeedKey | None:
        row = await self._con.fetchrow(_CURRENT)
        return (row["key"], row["rotated_at"]) if row else None

    async def keep_first(self, candidate: str, now: datetime) -> FeedKey:
        """The key, made from `candidate` if there was none (another replica's wins)."""
        await self._con.execute(_FIRST, candidate, now)
        kept = await self.current()
        assert kept is not None
        return kept

    async def rotate(self, new_key: str, now: datetime) -> FeedKey:
        row = await self._con.fetchrow(_ROTATE, new_key, now)
        return (row["key"], row["rotated_at"])


class BookedAppointments:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def since(self, moment: datetime) -> list[BookedRow]:
        """Every booked appointment not over before `moment`, in time order."""
        rows = await self._con.fetch(_BOOKED, moment)
        return [BookedRow(**dict(row)) for row in rows]

    async def starting(self, moment: datetime) -> list[BookedAt]:
        """The live appointment that starts at `moment`, if any (a list of at most one)."""
        rows = await self._con.fetch(_AT, moment)
        return [BookedAt(**dict(row)) for row in rows]
