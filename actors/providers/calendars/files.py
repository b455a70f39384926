"""
Calendar files (iCalendar, RFC 5545) of booked appointments. Pure: data in, bytes out.

    calendar_feed(appointments, name, timezone, ...)  the artist's subscribed calendar:
        every booked appointment, one event each; a cancelled one is left out, so the
        phone's calendar drops it at its next refresh
    appointment_invite(appointment, ...)  the lead's "add to calendar" file: one event

An appointment's UID is made from its id alone, so it stays the same in every feed
and in the lead's file: a calendar that refreshes moves the event instead of adding a
second one. Times are written in the studio's timezone (with its VTIMEZONE), so the
event shows at the studio's wall-clock time whatever the phone's timezone. The words
(the calendar's name, an event's title) come from the copy; this module adds none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

__all__ = ["CalendarAppointment", "appointment_invite", "appointment_uid", "calendar_feed"]

PRODID = "-//booking-assistant//appointments//EN"
_UID_DOMAIN = "booking-assistant"
REFRESH = timedelta(minutes=15)  # how often a subscribed calendar is asked to look again


@dataclass(frozen=True)
class CalendarAppointment:
    """A booked appointment as a calendar shows it."""

    appointment_id: int
    lead_id: str  # opaque (never the phone number): the lead in the admin API
    lead_name: str | None
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    cancelled: bool = False
    details: str | None = None  # the event's DESCRIPTION (the artist's feed: who and what)
    url: str | None = None  # the lead's studio page (the artist's feed)
    deposit_paid: str | None = None  # "Deposit paid: £80.00", in the copy's words


def appointment_uid(appointment: CalendarAppointment) -> str:
    return f"appointment-{appointment.appointment_id}@{_UID_DOMAIN}"


def calendar_feed(
    appointments: Iterable[CalendarAppointment],
    studio_name: str,
    timezone: str,
    *,
    title: str = "{name}",
    stamped_at: datetime,
    location: str | None = None,
) -> bytes:
    """The artist's feed. `title` is the copy's event title ({name}: the lead's name);
    `stamped_at` is when the feed was made (each event's DTSTAMP); `location` is the
    studio's address, each event's LOCATION. Each event's DESCRIPTION and URL are the
    appointment's own (`details`, `url`)."""
    calendar = _calendar(timezone)
    calendar.add("X-WR-CALNAME", studio_name)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", "PT15M")
    booked = sorted(
        (a for a in appointments if not a.cancelled), key=lambda a: (a.starts_at, a.appointment_id)
    )
    for appointment in booked:
        name = appointment.lead_name or "-"
        event = _event(appointment, title.replace("{name}", name), timezone, stamped_at)
        lines = [appointment.details or f"lead {appointment.lead_id}", appointment.deposit_paid]
        event.add("DESCRIPTION", "\n".join(line for line in lines if line))
        if appointment.url:
            event.add("URL", appointment.url)
        if location:
            event.add("LOCATION", location)
        calendar.add_component(event)
    return _finish(calendar, booked, stamped_at)


def appointment_invite(
    appointment: CalendarAppointment,
    *,
    title: str,
    timezone: str,
    stamped_at: datetime,
    description: str | None = None,
    location: str | None = None,
) -> bytes:
    """The lead's file: one event, published (no attendees, no reply expected), at the
    studio's address (`location`) when there is one."""
    calendar = _calendar(timezone)
    calendar.add("METHOD", "PUBLISH")
    event = _event(appointment, title, timezone, stamped_at)
    if description:
        event.add("DESCRIPTION", description)
    if location:
        event.add("LOCATION", location)
    calendar.add_component(event)
    return _finish(calendar, [appointment], stamped_at)


def _calendar(timezone: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("X-WR-TIMEZONE", timezone)
    return calendar


def _event(
    appointment: CalendarAppointment, title: str, timezone: str, stamped_at: datetime
) -> icalendar.Event:
    zone = ZoneInfo(timezone)
    event = icalendar.Event()
    event.add("UID", appointment_uid(appointment))
    event.add("DTSTAMP", stamped_at.astimezone(UTC))
    event.add("DTSTART", appointment.starts_at.astimezone(zone))
    event.add("DTEND", appointment.ends_at.astimezone(zone))
    event.add("SUMMARY", title)
    event.add("STATUS", "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    return event


def _finish(
    calendar: icalendar.Calendar, shown: list[CalendarAppointment], stamped_at: datetime
) -> bytes:
    """Add the studio's VTIMEZONE (from the tz database), its changes over the dates shown."""
    days = (
        [stamped_at.date()]
        + [a.starts_at.date() for a in shown]
        + [a.ends_at.date() for a in shown]
    )
    calendar.add_missing_timezones(
        first_date=min(days) - timedelta(days=1), last_date=max(days) + timedelta(days=366)
    )
    return bytes(calendar.to_ical())
