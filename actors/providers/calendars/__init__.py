"""Calendars: the artist's busy calendar, and iCalendar files of appointments."""

from __future__ import annotations

from actors.providers.calendars.busy_sync import BusyCalendarSync, forget_busy_calendar

__all__ = ["BusyCalendarSync", "forget_busy_calendar"]
