"""
Dates and times as a lead reads them: the one function every time the service writes
goes through (the slots' list, "{when}" in any message).

Plain for now: the date and the 24-hour time in the studio's timezone, the same in
every locale ("2026-12-04 14:00"). A locale-aware rendering replaces this function alone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

__all__ = ["format_when"]


def format_when(moment: datetime, timezone: tzinfo, locale: str) -> str:
    """`moment` on the studio's wall clock; at most 24 characters (a list row's title)."""
    return moment.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
