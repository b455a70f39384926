"""
An artist's calendar as Google Calendar exports it (Europe/London), for the busy-time
tests: a weekly event with an exception and a moved occurrence, a daily one across the
end of summer time (Sunday 25 October 2026), all-day days off, and what must not block.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["EXPECTED_BUSY", "FIRST_FETCH", "LONDON_ICS", "WINDOW"]

_HEADER = [
    "BEGIN:VCALENDAR",
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "X-WR-CALNAME:Private",
    "X-WR-TIMEZONE:Europe/London",
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "X-LIC-LOCATION:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def _event(uid: str, *lines: str) -> list[str]:
    """One VEVENT as Google writes it (stamped when the calendar was exported)."""
    return ["BEGIN:VEVENT", *lines, "DTSTAMP:20261001T120000Z", f"UID:{uid}", "END:VEVENT"]


_EVENTS = [
    _event(
        "weekly-gym@google.com",
        "DTSTART;TZID=Europe/London:20261015T100000",
        "DTEND;TZID=Europe/London:20261015T113000",
        "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=5",
        "EXDATE;TZID=Europe/London:20261022T100000",
        "SUMMARY:Gym",
    ),
    _event(
        "weekly-gym@google.com",
        "DTSTART;TZID=Europe/London:20261029T150000",
        "DTEND;TZID=Europe/London:20261029T160000",
        "RECURRENCE-ID;TZID=Europe/London:20261029T100000",
        "SUMMARY:Gym (moved)",
    ),
    _event(
        "weekly-gym@google.com",
        "DTSTART;TZID=Europe/London:20261112T100000",
        "DTEND;TZID=Europe/London:20261112T113000",
        "RECURRENCE-ID;TZID=Europe/London:20261112T100000",
        "STATUS:CANCELLED",
        "SUMMARY:Gym",
    ),
    _event(
        "school-run@google.com",
        "DTSTART;TZID=Europe/London:20261024T090000",
        "DTEND;TZID=Europe/London:20261024T100000",
        "RRULE:FREQ=DAILY;COUNT=3",
        "SUMMARY:School run",
    ),
    _event(
        "day-off@google.com",
        "DTSTART;VALUE=DATE:20261027",
        "DTEND;VALUE=DATE:20261028",
        "SUMMARY:Day off",
        "TRANSP:OPAQUE",
    ),
    _event(
        "retreat@google.com",
        "DTSTART;VALUE=DATE:20261024",
        "DTEND;VALUE=DATE:20261026",
        "SUMMARY:Retreat (the weekend summer time ends)",
    ),
    _event(
        "weekend-away@google.com",
        "DTSTART;VALUE=DATE:20261031",
        "DTEND;VALUE=DATE:20261102",
        "SUMMARY:Weekend away",
    ),
    _event(
        "cancelled@google.com",
        "DTSTART:20261103T140000Z",
        "DTEND:20261103T150000Z",
        "STATUS:CANCELLED",
        "SUMMARY:Dentist (cancelled)",
    ),
    _event(
        "free@google.com",
        "DTSTART:20261104T140000Z",
        "DTEND:20261104T150000Z",
        "TRANSP:TRANSPARENT",
        "SUMMARY:Reminder (free)",
    ),
]
LONDON_ICS = "\r\n".join(
    [*_HEADER, *(line for event in _EVENTS for line in event), "END:VCALENDAR", ""]
).encode()

WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
FIRST_FETCH = datetime(2026, 10, 1, 12, tzinfo=UTC)  # the tests' clock when they start


def _z(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


EXPECTED_BUSY = [
    (_z(10, 15, 9), _z(10, 15, 10, 30)),  # Thursday 10:00 BST; the 22nd is an exception
    (_z(10, 23, 23), _z(10, 26, 0)),  # Saturday and Sunday: midnight BST to midnight GMT
    (_z(10, 24, 8), _z(10, 24, 9)),  # Saturday 09:00 BST
    (_z(10, 25, 9), _z(10, 25, 10)),  # Sunday 09:00 GMT: summer time ended at 02:00
    (_z(10, 26, 9), _z(10, 26, 10)),
    (_z(10, 27, 0), _z(10, 28, 0)),  # the day off, midnight to midnight (GMT)
    (_z(10, 29, 15), _z(10, 29, 16)),  # Thursday's occurrence, moved to 15:00
    (_z(10, 31, 0), _z(11, 2, 0)),  # the weekend away: two whole days
    (_z(11, 5, 10), _z(11, 5, 11, 30)),  # Thursday 10:00 GMT: same wall clock, an hour later
]
