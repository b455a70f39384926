"""
Dates and times as a lead reads them: the one function every time the service writes
goes through (the slots' list, "{when}" in any message).

Plain for now: the date and the 24-hour time in the studio's timezone, the same in
every locale ("2026-12-04 14:00"). A locale-aware rendering replaces these two functions
alone: `format_when` for the texts, `format_slot` for a list row's title, which WhatsApp
cuts at 24 characters (so a short form there: "jue 4 dic, 14:00", not the long one).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

__all__ = ["format_slot", "format_when"]


def format_when(moment: datetime, timezone: tzinfo, locale: str) -> str:
    """`moment` on the studio's wall clock, as a text says it ("{when}")."""
    return moment.astimezone(timezone).strftime("%Y-%m-%d %H:%M")


def format_slot(moment: datetime, timezone: tzinfo, locale: str) -> str:
    """A free slot as a list row's title: at most 24 characters."""
    return format_when(moment, timezone, locale)
