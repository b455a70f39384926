"""
The artist's calendar (an ICS file, as Google Calendar and iCloud publish it) as the
intervals in which the artist is busy. Pure: bytes in, intervals out.

What counts as busy, between `start` and `end`:
- every occurrence of every event, recurring ones expanded (RRULE, RDATE), less their
  exceptions (EXDATE), a moved occurrence (RECURRENCE-ID) at its new time;
- all-day events as whole days from midnight to midnight in the calendar's timezone
  (the studio's, when given; else the calendar's own X-WR-TIMEZONE; else UTC), so a day
  off stays a day off across a daylight-saving change;
- not: cancelled events or occurrences (STATUS:CANCELLED), events marked "free"
  (TRANSP:TRANSPARENT), events without a duration.

Times without a timezone ("floating") are read in that same timezone. Every interval
comes back aware, in UTC, sorted. A file that is no calendar raises `NotACalendar`
with a reason that quotes nothing from the file (event titles are private).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

__all__ = ["MAX_INTERVALS", "NotACalendar", "busy_intervals"]

MAX_INTERVALS = 20_000  # far more than a person's diary holds in months
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)


class NotACalendar(ValueError):
    """The bytes are not an iCalendar file we can read (the reason names no content)."""


def busy_intervals(
    ics: bytes, start: datetime, end: datetime, timezone: str | None = None
) -> list[tuple[datetime, datetime]]:
    """The busy intervals of calendar `ics` that overlap [start, end), in UTC."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except _PARSE_ERRORS as error:
        raise NotACalendar(f"not an iCalendar file ({type(error).__name__})") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise NotACalendar("not an iCalendar file (no VCALENDAR)")
    zone = _zone(timezone) or _zone(calendar.get("X-WR-TIMEZONE")) or UTC
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except _PARSE_ERRORS as error:
        raise NotACalendar(f"events that cannot be expanded ({type(error).__name__})") from None
    found: list[tuple[datetime, datetime]] = []
    for event in occurrences:
        if not _blocks(event):
            continue
        try:
            begins, ends = _aware(event.start, zone), _aware(event.end, zone)
        except _PARSE_ERRORS:
            continue  # an event without a start: nothing to block
        if begins < ends:
            found.append((begins.astimezone(UTC), ends.astimezone(UTC)))
        if len(found) > MAX_INTERVALS:
            raise NotACalendar(f"more than {MAX_INTERVALS} busy intervals in the horizon")
    return sorted(found)


def _blocks(event: icalendar.Component) -> bool:
    status = str(event.get("STATUS", "CONFIRMED")).upper()
    transparency = str(event.get("TRANSP", "OPAQUE")).upper()
    return status != "CANCELLED" and transparency != "TRANSPARENT"


def _aware(value: date | datetime, zone: tzinfo) -> datetime:
    if not isinstance(value, datetime):  # an all-day event: the day, on the wall clock
        return datetime.combine(value, time(0), zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _zone(name: object) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None
