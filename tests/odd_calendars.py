"""
Calendars as real programs write them, each with what icalendar trips on, and each
with the artist's real event on Friday 2 October 2026, 10:00 to 18:00 on London's clock
(the whole of the example studio's Friday): whatever else is odd, that day is busy.

    google       a VALARM whose trigger is written `PT-2H` (a minus inside the duration)
    rdate        a series with `RDATE:20131210Z` (a date with a zone): that property goes
    railway      a ticket export: several VCALENDARs in one stream, times in Berlin's
    empty_tzid   `DTSTART;TZID=:...` and a VTIMEZONE with an empty TZID: its offsets
    exchange     Outlook/Exchange: a Windows zone name with its VTIMEZONE, X-MICROSOFT-*
    thunderbird  Mozilla: X-MOZ-*, X-LIC-LOCATION, a `TRIGGER;VALUE=DURATION:-PT15M`,
                 and a DURATION written `PT-8H` beside the event's DTEND: that one goes
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["FRIDAY_BUSY", "ODD_CALENDARS", "SKIPPED"]

# 10:00-18:00 BST (UTC+1) on Friday 2 October 2026.
FRIDAY_BUSY = (datetime(2026, 10, 2, 9, tzinfo=UTC), datetime(2026, 10, 2, 17, tzinfo=UTC))


def _ics(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


_EUROPE_LONDON = (
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
)

GOOGLE = _ics(
    "BEGIN:VCALENDAR",
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "X-WR-CALNAME:Private",
    "X-WR-TIMEZONE:Europe/London",
    *_EUROPE_LONDON,
    "BEGIN:VEVENT",
    "DTSTART;TZID=Europe/London:20261002T100000",
    "DTEND;TZID=Europe/London:20261002T180000",
    "DTSTAMP:20260920T101010Z",
    "UID:5f1a7c0e2b@google.com",
    "CREATED:20260901T080000Z",
    "DESCRIPTION:Convention booth\\, all day",
    "LAST-MODIFIED:20260915T080000Z",
    "LOCATION:ExCeL London",
    "SEQUENCE:2",
    "STATUS:CONFIRMED",
    "SUMMARY:London Tattoo Convention",
    "TRANSP:OPAQUE",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    "DESCRIPTION:This is an event reminder",
    "TRIGGER:PT-2H",
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
)

RDATE = _ics(
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Apple Inc.//macOS 14.0//EN",
    "CALSCALE:GREGORIAN",
    "BEGIN:VEVENT",
    "UID:A1B2C3D4-rdate@icloud.com",
    "DTSTAMP:20131201T120000Z",
    "DTSTART:20131203T100000Z",
    "DTEND:20131203T110000Z",
    "RDATE:20131210Z",
    "SUMMARY:Old series with a date written with a zone",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:E5F6A7B8-friday@icloud.com",
    "DTSTAMP:20260920T101010Z",
    "DTSTART:20261002T090000Z",
    "DTEND:20261002T170000Z",
    "RDATE:20131210Z",
    "SUMMARY:Guest spot",
    "END:VEVENT",
    "END:VCALENDAR",
)

RAILWAY = _ics(
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Rail Ticket Export//EN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    "UID:ticket-outward-4711@rail.example",
    "DTSTAMP:20260915T120000Z",
    "DTSTART;TZID=Europe/Berlin:20261002T110000",
    "DTEND;TZID=Europe/Berlin:20261002T150000",
    "SUMMARY:ICE 1001 Frankfurt(Main)Hbf -> Köln Hbf",
    "LOCATION:Frankfurt(Main)Hbf",
    "END:VEVENT",
    "END:VCALENDAR",
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Rail Ticket Export//EN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    "UID:ticket-return-4711@rail.example",
    "DTSTAMP:20260915T120000Z",
    "DTSTART;TZID=Europe/Berlin:20261002T150000",
    "DTEND;TZID=Europe/Berlin:20261002T190000",
    "SUMMARY:ICE 1002 Köln Hbf -> Frankfurt(Main)Hbf",
    "END:VEVENT",
    "END:VCALENDAR",
)

EMPTY_TZID = _ics(
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Some Booking Widget//EN",
    "BEGIN:VTIMEZONE",
    "TZID:",
    "BEGIN:STANDARD",
    "DTSTART:19701025T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:19700329T010000",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "UID:widget-991",
    "DTSTAMP:20260920T101010Z",
    "DTSTART;TZID=:20261002T100000",
    "DTEND;TZID=:20261002T180000",
    "SUMMARY:Booked via widget",
    "END:VEVENT",
    "END:VCALENDAR",
)

EXCHANGE = _ics(
    "BEGIN:VCALENDAR",
    "METHOD:PUBLISH",
    "PRODID:Microsoft Exchange Server 2010",
    "VERSION:2.0",
    "X-WR-CALNAME:Calendar",
    "BEGIN:VTIMEZONE",
    "TZID:GMT Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T010000",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "UID:040000008200E00074C5B7101A82E00800000000D0F1B2A3C4D5E601000000000000000010000000",
    "SUMMARY:Supplier visit",
    "DTSTART;TZID=GMT Standard Time:20261002T100000",
    "DTEND;TZID=GMT Standard Time:20261002T180000",
    "CLASS:PUBLIC",
    "PRIORITY:5",
    "DTSTAMP:20260920T101010Z",
    "TRANSP:OPAQUE",
    "STATUS:CONFIRMED",
    "SEQUENCE:0",
    "LOCATION:",
    "X-MICROSOFT-CDO-APPT-SEQUENCE:0",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
    "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
    "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
    "X-MICROSOFT-CDO-IMPORTANCE:1",
    "X-MICROSOFT-CDO-INSTTYPE:0",
    "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
    "BEGIN:VALARM",
    "DESCRIPTION:REMINDER",
    "TRIGGER;RELATED=START:-PT15M",
    "ACTION:DISPLAY",
    "END:VALARM",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:040000008200E00074C5B7101A82E00800000000AAAA",
    "SUMMARY:Weekly admin",
    "DTSTART;TZID=Customized Time Zone:20261005T090000",
    "DTEND;TZID=Customized Time Zone:20261005T093000",
    "RRULE:FREQ=WEEKLY;UNTIL=20261231T090000Z;INTERVAL=1;BYDAY=MO;WKST=MO",
    "DTSTAMP:20260920T101010Z",
    "END:VEVENT",
    "END:VCALENDAR",
)

THUNDERBIRD = _ics(
    "BEGIN:VCALENDAR",
    "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
    "VERSION:2.0",
    *_EUROPE_LONDON,
    "BEGIN:VEVENT",
    "CREATED:20260918T090000Z",
    "LAST-MODIFIED:20260918T090500Z",
    "DTSTAMP:20260918T090500Z",
    "UID:3c1e2d7a-5b4f-4e8c-9a1d-0f2e3d4c5b6a",
    "SUMMARY:Studio refit",
    "DTSTART;TZID=Europe/London:20261002T100000",
    "DTEND;TZID=Europe/London:20261002T180000",
    "X-MOZ-GENERATION:3",
    "X-MOZ-LASTACK:20260918T090500Z",
    "X-MOZ-SNOOZE-TIME:20261002T084500Z",
    "DURATION:PT-8H",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    "TRIGGER;VALUE=DURATION:-PT15M",
    "DESCRIPTION:Default Mozilla Description",
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
)

ODD_CALENDARS = {
    "google": GOOGLE,
    "rdate": RDATE,
    "railway": RAILWAY,
    "empty_tzid": EMPTY_TZID,
    "exchange": EXCHANGE,
    "thunderbird": THUNDERBIRD,
}

# What each calendar costs: the properties (or events) the library cannot read.
SKIPPED = {
    "google": 0,  # the alarm is never read: alarms make no one busy
    "rdate": 2,  # each event's RDATE
    "railway": 0,
    "empty_tzid": 0,  # the zone is read by its offsets
    "exchange": 0,  # "Customized Time Zone" has no VTIMEZONE: the studio's clock
    "thunderbird": 1,  # DURATION:PT-8H beside DTEND
}
