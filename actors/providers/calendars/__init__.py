"""Calendars: the artist's busy calendar, and iCalendar files of appointments."""

from __future__ import annotations

__all__: list[str] = []
