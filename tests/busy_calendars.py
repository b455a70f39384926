"""
An artist's calendar as Google Calendar exports it (Europe/London), for the busy-time
tests: a weekly event with an exception and a moved occurrence, a daily one across the
end of summer time (Sunday 25 October 2026), all-day days off, and what must not block.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["EXPECTED_BUSY", "LONDON_ICS", "WINDOW"]

LONDON_ICS = b"""BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
CALSCALE:GREGORIAN\r
METHOD:PUBLISH\r
X-WR-CALNAME:Private\r
X-WR-TIMEZONE:Europe/London\r
BEGIN:VTIMEZONE\r
TZID:Europe/London\r
X-LIC-LOCATION:Europe/London\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0000\r
TZOFFSETTO:+0100\r
TZNAME:BST\r
DTSTART:19700329T010000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0000\r
TZNAME:GMT\r
DTSTART:19701025T020000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/London:20261015T100000\r
DTEND;TZID=Europe/London:20261015T113000\r
RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=5\r
EXDATE;TZID=Europe/London:20261022T100000\r
DTSTAMP:20261001T120000Z\r
UID:weekly-gym@google.com\r
SUMMARY:Gym\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/London:20261029T150000\r
DTEND;TZID=Europe/London:20261029T160000\r
RECURRENCE-ID;TZID=Europe/London:20261029T100000\r
DTSTAMP:20261001T120000Z\r
UID:weekly-gym@google.com\r
SUMMARY:Gym (moved)\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/London:20261112T100000\r
DTEND;TZID=Europe/London:20261112T113000\r
RECURRENCE-ID;TZID=Europe/London:20261112T100000\r
STATUS:CANCELLED\r
DTSTAMP:20261001T120000Z\r
UID:weekly-gym@google.com\r
SUMMARY:Gym\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/London:20261024T090000\r
DTEND;TZID=Europe/London:20261024T100000\r
RRULE:FREQ=DAILY;COUNT=3\r
DTSTAMP:20261001T120000Z\r
UID:school-run@google.com\r
SUMMARY:School run\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261027\r
DTEND;VALUE=DATE:20261028\r
DTSTAMP:20261001T120000Z\r
UID:day-off@google.com\r
SUMMARY:Day off\r
TRANSP:OPAQUE\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261031\r
DTEND;VALUE=DATE:20261102\r
DTSTAMP:20261001T120000Z\r
UID:weekend-away@google.com\r
SUMMARY:Weekend away\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261103T140000Z\r
DTEND:20261103T150000Z\r
STATUS:CANCELLED\r
DTSTAMP:20261001T120000Z\r
UID:cancelled@google.com\r
SUMMARY:Dentist (cancelled)\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261104T140000Z\r
DTEND:20261104T150000Z\r
TRANSP:TRANSPARENT\r
DTSTAMP:20261001T120000Z\r
UID:free@google.com\r
SUMMARY:Reminder (free)\r
END:VEVENT\r
END:VCALENDAR\r
"""

WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def _z(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


EXPECTED_BUSY = [
    (_z(10, 15, 9), _z(10, 15, 10, 30)),  # Thursday 10:00 BST; the 22nd is an exception
    (_z(10, 24, 8), _z(10, 24, 9)),  # Saturday 09:00 BST
    (_z(10, 25, 9), _z(10, 25, 10)),  # Sunday 09:00 GMT: summer time ended at 02:00
    (_z(10, 26, 9), _z(10, 26, 10)),
    (_z(10, 27, 0), _z(10, 28, 0)),  # the day off, midnight to midnight (GMT)
    (_z(10, 29, 15), _z(10, 29, 16)),  # Thursday's occurrence, moved to 15:00
    (_z(10, 31, 0), _z(11, 2, 0)),  # the weekend away: two whole days
    (_z(11, 5, 10), _z(11, 5, 11, 30)),  # Thursday 10:00 GMT: same wall clock, an hour later
]
