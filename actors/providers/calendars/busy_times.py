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

Times without a timezone ("floating"), or with a TZID that names no zone we can use,
are read in that same timezone. Every interval comes back aware, in UTC, sorted.

Every VCALENDAR of the stream is read, and one the library trips on costs only what it
trips on (`calendar_lines`): a property, an event, a zone, or at worst one series of
events that will not expand; `read_busy` counts what was skipped. A file that is no
calendar raises `NotACalendar` with a reason that quotes nothing from the file (event
titles are private).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from actors.providers.calendars.calendar_lines import CalendarText, split_calendars

__all__ = ["MAX_INTERVALS", "BusyRead", "NotACalendar", "busy_intervals", "read_busy"]

MAX_INTERVALS = 20_000  # far more than a person's diary holds in months
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)


class NotACalendar(ValueError):
    """The bytes are not an iCalendar file we can read (the reason names no content)."""


@dataclass(frozen=True)
class BusyRead:
    """The busy intervals of a calendar stream, and how many of its parts were skipped
    (a property, an event or a zone the library could not read)."""

    intervals: list[tuple[datetime, datetime]]
    skipped: int = 0


def busy_intervals(
    ics: bytes, start: datetime, end: datetime, timezone: str | None = None
) -> list[tuple[datetime, datetime]]:
    """The busy intervals of calendar `ics` that overlap [start, end), in UTC."""
    return read_busy(ics, start, end, timezone).intervals


def read_busy(ics: bytes, start: datetime, end: datetime, timezone: str | None = None) -> BusyRead:
    """Every VCALENDAR of `ics`, read as far as it can be: the intervals overlapping
    [start, end) in UTC, and the count of what was skipped."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    # utf-8-sig: Outlook's exports may start with a byte-order mark.
    calendars = split_calendars(ics.decode("utf-8-sig", errors="replace"))
    if not calendars:
        raise NotACalendar("not an iCalendar file (no VCALENDAR)")
    found: list[tuple[datetime, datetime]] = []
    skipped = 0
    for text in calendars:
        own = next((p.split(":", 1)[1] for p in text.properties), None)
        zone = _zone(timezone) or _zone(own) or UTC
        occurrences, lost = _occurrences(text, start, end)
        skipped += text.skipped + lost
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
    return BusyRead(sorted(found), skipped)


def _occurrences(
    text: CalendarText, start: datetime, end: datetime
) -> tuple[list[icalendar.Event], int]:
    """The calendar's occurrences in the window; if the whole will not expand, each
    series (the events sharing a UID) on its own, a series that fails skipped."""
    try:
        return _expand(text, start, end), 0
    except _PARSE_ERRORS:
        pass
    series: dict[str, list[list[str]]] = {}
    for n, event in enumerate(text.events):
        uid = next((ln.split(":", 1)[1] for ln in event if ln.upper().startswith("UID")), "")
        series.setdefault(uid or f"#{n}", []).append(event)
    found: list[icalendar.Event] = []
    lost = 0
    for events in series.values():
        alone = CalendarText(text.properties, text.zones, events)
        try:
            found += _expand(alone, start, end)
        except _PARSE_ERRORS:
            lost += len(events)
    return found, lost


def _expand(text: CalendarText, start: datetime, end: datetime) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text.ics())
    assert isinstance(calendar, icalendar.Calendar)
    found = recurring_ical_events.of(calendar).between(start, end)
    return [event for event in found if isinstance(event, icalendar.Event)]


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
