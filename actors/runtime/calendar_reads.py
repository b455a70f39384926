"""
What a turn reads for the behaviour's calendar, inside the turn's transaction: other
leads' live holds and appointments, and the artist's busy times (BUSY_CALENDAR_URL,
expanded and kept in the database by `actors.providers.calendars.busy_sync`; none when it is unset)
with the artist's time off (blocked from the studio page): no slot is offered over
either, and a pick inside either is answered like a taken slot.
"""

from __future__ import annotations

from datetime import datetime

from actors.lead import Calendar
from storage import TurnUnit

__all__ = ["read_calendar"]


async def read_calendar(
    unit: TurnUnit, lead_key: str, window: tuple[datetime, datetime]
) -> Calendar:
    start, end = window
    taken = await unit.appointments.taken(lead_key, start, end)
    busy = await unit.busy.intervals(start, end)
    off = await unit.time_off.intervals(start, end)
    return Calendar(taken=tuple(taken), busy=tuple(sorted([*busy, *off])))
