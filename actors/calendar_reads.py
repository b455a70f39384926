"""
What a turn reads for the behaviour's calendar, inside the turn's transaction: other
leads' live holds and appointments, and the artist's busy times.

The busy times are the one seam here: `_busy` answers no busy times until the busy
calendar (BUSY_CALENDAR_URL, cached in the database) is read through the unit's `busy`
repository: `await unit.busy.intervals(start, end)`.
"""

from __future__ import annotations

from datetime import datetime

from actors.lead import Calendar
from storage import TurnUnit

__all__ = ["read_calendar"]


async def _busy(unit: TurnUnit, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The artist's own busy times in [start, end): none until the busy calendar is read."""
    return []


async def read_calendar(
    unit: TurnUnit, lead_key: str, window: tuple[datetime, datetime]
) -> Calendar:
    start, end = window
    taken = await unit.appointments.taken(lead_key, start, end)
    busy = await _busy(unit, start, end)
    return Calendar(taken=tuple(taken), busy=tuple(busy))
