"""
The calendar files, read back as a calendar app reads them: the artist's feed of booked
appointments (stable UIDs, a cancelled one gone, wall-clock times in the studio's
timezone across a daylight-saving change) and the lead's "add to calendar" file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from actors.providers.calendars.files import (
    CalendarAppointment,
    appointment_invite,
    appointment_uid,
    calendar_feed,
)

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
SUMMER = CalendarAppointment(
    1,
    "7d6a0c1e",
    "Ana",
    datetime(2026, 10, 22, 13, tzinfo=UTC),
    datetime(2026, 10, 22, 15, tzinfo=UTC),
)  # 14:00 BST
WINTER = CalendarAppointment(
    2,
    "93be5f20",
    "Ben",
    datetime(2026, 10, 29, 14, tzinfo=UTC),
    datetime(2026, 10, 29, 16, tzinfo=UTC),
)  # 14:00 GMT, after summer time ended on the 25th
CANCELLED = CalendarAppointment(
    3,
    "0c11a7d9",
    "Cy",
    datetime(2026, 10, 23, 9, tzinfo=UTC),
    datetime(2026, 10, 23, 10, tzinfo=UTC),
    cancelled=True,
)


def read(ics: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(ics)
    assert isinstance(calendar, icalendar.Calendar)
    return calendar


def events_of(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return [e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event)]


def start(event: icalendar.Event) -> datetime:
    value = event.start
    assert isinstance(value, datetime)  # a timed event, never an all-day one
    return value


def end(event: icalendar.Event) -> datetime:
    value = event.end
    assert isinstance(value, datetime)
    return value


def feed(*appointments: CalendarAppointment, stamped_at: datetime = STAMP) -> icalendar.Calendar:
    return read(
        calendar_feed(
            appointments, "Ink & Co", "Europe/London", title="Tattoo: {name}", stamped_at=stamped_at
        )
    )


def test_the_feed_holds_each_booked_appointment_at_the_studios_wall_clock_time() -> None:
    calendar = feed(WINTER, SUMMER, CANCELLED)
    events = events_of(calendar)
    assert [str(e["SUMMARY"]) for e in events] == ["Tattoo: Ana", "Tattoo: Ben"]
    starts = [start(e) for e in events]
    assert [s.astimezone(LONDON).hour for s in starts] == [14, 14]  # both at 14:00 local
    assert [s.astimezone(UTC) for s in starts] == [SUMMER.starts_at, WINTER.starts_at]
    assert [end(e).astimezone(UTC) for e in events] == [SUMMER.ends_at, WINTER.ends_at]
    assert all(e.DTSTAMP == STAMP for e in events)
    assert str(calendar["X-WR-CALNAME"]) == "Ink & Co"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_a_cancelled_appointment_is_absent_and_the_others_keep_their_uids() -> None:
    before = feed(SUMMER, WINTER)
    after = feed(SUMMER, replace(WINTER, cancelled=True), stamped_at=STAMP + timedelta(hours=1))
    uids = [str(e["UID"]) for e in events_of(before)]
    assert uids == [appointment_uid(SUMMER), appointment_uid(WINTER)]
    assert len(set(uids)) == 2
    assert [str(e["UID"]) for e in events_of(after)] == [appointment_uid(SUMMER)]


def test_a_moved_appointment_keeps_its_uid_so_the_calendar_moves_it() -> None:
    moved = replace(
        SUMMER,
        starts_at=SUMMER.starts_at + timedelta(days=1),
        ends_at=SUMMER.ends_at + timedelta(days=1),
    )
    (event,) = events_of(feed(moved))
    assert str(event["UID"]) == appointment_uid(SUMMER)
    assert start(event).astimezone(UTC) == moved.starts_at


def test_a_calendar_app_expanding_the_feed_sees_the_same_times() -> None:
    ics = calendar_feed(
        [SUMMER, WINTER, CANCELLED], "Ink & Co", "Europe/London", title="{name}", stamped_at=STAMP
    )
    window = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    seen = recurring_ical_events.of(read(ics)).between(*window)
    assert sorted((e.start.astimezone(UTC), str(e["SUMMARY"])) for e in seen) == [
        (SUMMER.starts_at, "Ana"),
        (WINTER.starts_at, "Ben"),
    ]


def test_the_feed_never_carries_a_phone_number_only_the_opaque_lead_id() -> None:
    ics = calendar_feed([SUMMER], "Ink & Co", "Europe/London", stamped_at=STAMP)
    (event,) = events_of(read(ics))
    assert "7d6a0c1e" in str(event["DESCRIPTION"])
    assert str(event["SUMMARY"]) == "Ana"  # the default title: the lead's name alone


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = feed()
    assert events_of(calendar) == []
    assert str(calendar["VERSION"]) == "2.0"


def test_the_leads_file_is_one_published_event_with_the_feeds_uid() -> None:
    ics = appointment_invite(
        WINTER,
        title="Tattoo at Ink & Co",
        timezone="Europe/London",
        stamped_at=STAMP,
        description="See you there!",
    )
    calendar = read(ics)
    assert str(calendar["METHOD"]) == "PUBLISH"
    (event,) = events_of(calendar)
    assert str(event["UID"]) == appointment_uid(WINTER)
    assert str(event["SUMMARY"]) == "Tattoo at Ink & Co"
    assert str(event["DESCRIPTION"]) == "See you there!"
    assert start(event).astimezone(UTC) == WINTER.starts_at
    assert start(event).tzinfo is not None
    assert str(event["DTSTART"].params["TZID"]) == "Europe/London"
    assert "Ben" not in ics.decode()  # the lead's own file names the studio, not them
