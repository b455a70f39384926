"""
The artist's time off (table `time_off`, migration 0028), and the agenda's reads.

    TimeOff        add and remove a block (inside the artist's turn); the blocks that
                   overlap a window (a lead's turn adds them to the busy times; the agenda
                   lists them)
    AgendaReads    the live holds and appointments that overlap a window, with each
                   lead's opaque id and name
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["AgendaReads", "AgendaRow", "TimeOff", "TimeOffRow"]

_ADD = """
INSERT INTO time_off (during, note) VALUES (tstzrange($1, $2, '[)'), $3) RETURNING id
"""

_REMOVE = "DELETE FROM time_off WHERE id = $1"

_OVERLAPPING = """
SELECT id, lower(during) AS starts_at, upper(during) AS ends_at, note FROM time_off
WHERE during && tstzrange($1, $2, '[)')
ORDER BY lower(during), id
"""

_LIVE = """
SELECT a.kind, a.starts_at, a.ends_at, l.lead_id::text AS lead_id, l.name AS lead_name,
       a.lead_key, l.status
FROM appointments a
JOIN lead_summaries l ON l.lead_key = a.lead_key
WHERE a.status = 'live'
  AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange($1, $2, '[)')
  AND NOT (a.kind = 'hold' AND a.expires_at < now())
ORDER BY a.starts_at, a.id
"""


@dataclass(frozen=True)
class TimeOffRow:
    id: int
    starts_at: datetime
    ends_at: datetime
    note: str


@dataclass(frozen=True)
class AgendaRow:
    """A live hold or appointment, and whose it is."""

    kind: str  # 'hold' | 'appointment'
    starts_at: datetime
    ends_at: datetime
    lead_id: str
    lead_name: str | None
    lead_key: str
    status: str


class TimeOff:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def add(self, starts_at: datetime, ends_at: datetime, note: str) -> int:
        row_id: int = await self._con.fetchval(_ADD, starts_at, ends_at, note)
        return row_id

    async def remove(self, row_id: int) -> bool:
        done: str = await self._con.execute(_REMOVE, row_id)
        return done.endswith(" 1")

    async def overlapping(self, start: datetime, end: datetime) -> list[TimeOffRow]:
        rows = await self._con.fetch(_OVERLAPPING, start, end)
        return [TimeOffRow(r["id"], r["starts_at"], r["ends_at"], r["note"]) for r in rows]

    async def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        return [(r.starts_at, r.ends_at) for r in await self.overlapping(start, end)]


class AgendaReads:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def live(self, start: datetime, end: datetime) -> list[AgendaRow]:
        rows = await self._con.fetch(_LIVE, start, end)
        return [
            AgendaRow(
                r["kind"],
                r["starts_at"],
                r["ends_at"],
                r["lead_id"],
                r["lead_name"],
                r["lead_key"],
                r["status"],
            )
            for r in rows
        ]
