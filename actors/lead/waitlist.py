"""
The waitlist: a lead for whom no offered time suits asks to be told when one frees up,
for a range of days. Pure.

    asked          "None of these", or the copy's `words.waitlist` typed while picking a
                   time: `waitlist_range` asks for the days
    joined         a range typed as the locale writes dates ("5 March to 9 March",
                   "05/03 - 09/03", "2026-03-05 to 2026-03-09"; one date alone is that
                   day; a year left out is the next such date; cut at the horizon):
                   WAITLISTED, `waitlist_joined` naming it; a new range replaces the old
    not a range    the words go to the artist, as any words while picking a time
    past           a range wholly before today, or dates that cannot be read:
                   `waitlist_range_reask`
    buttons        `waitlist_7`, `waitlist_14`, `waitlist_any`: from today, 7 or 14 days, or
                   up to the horizon

The joiners between the two dates are the copy's `words.waitlist_to` ("to", "until",
"-"); the dates are read by dateparser in the copy's language, day before month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser

from actors.lead.script import normalise

__all__ = ["DayRange", "looks_like_days", "read_range"]

_DASH = "-\u2013\u2014"  # a hyphen, an en dash, an em dash
# "05/03 - 09/03" splits at the dash; "2026-03-05" does not.
_DASHES = re.compile(rf"\s*[{_DASH}]\s*(?=\D|\d{{1,2}}\D)")
_ISO = re.compile(
    rf"\s*(\d{{4}}-\d{{2}}-\d{{2}})\s*(?:[{_DASH}]|\s\S+\s)?\s*(\d{{4}}-\d{{2}}-\d{{2}})?\s*"
)


_FIGURES = re.compile(r"\d{1,4}[/.]\d{1,2}(?:[/.]\d{1,4})?")  # "32/13", "05/03/2027"


@dataclass(frozen=True)
class DayRange:
    """The days a waitlisted lead can come, both included."""

    first: date
    last: date

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


def read_range(
    text: str, joiners: frozenset[str], locale: str, today: date, horizon: date
) -> DayRange | None:
    """The range `text` names, from today at the soonest and cut at `horizon`; None when
    it names none or only days already past."""
    parts = _split(text, joiners)
    if not 1 <= len(parts) <= 2:
        return None
    days = [_day(part, locale, today) for part in parts]
    if any(day is None for day in days):
        return None
    first, last = days[0], days[-1]
    if first is None or last is None:
        return None
    if last < first:  # "28 December to 3 January": the end is in the next year
        last = last.replace(year=last.year + 1) if last.replace(year=first.year) < first else last
    if last < today or first > horizon or last < first:
        return None
    return DayRange(max(first, today), min(last, horizon))


def looks_like_days(text: str, joiners: frozenset[str], locale: str, today: date) -> bool:
    """Words that name days `read_range` refused: each part a date (so days past), or a
    date written in figures that is no day ("32/13"). They are asked for again; other
    words go to the artist."""
    parts = _split(text, joiners)
    if not 1 <= len(parts) <= 2:
        return False
    if any(_FIGURES.fullmatch(part.strip()) for part in parts):
        return True
    return all(_day(part, locale, today) is not None for part in parts)


def _split(text: str, joiners: frozenset[str]) -> list[str]:
    said = text.strip()
    iso = _ISO.fullmatch(said)
    if iso:
        return [g for g in iso.groups() if g]
    said = _DASHES.sub(" \x00 ", said)
    words = said.split()
    found: list[str] = []
    current: list[str] = []
    for word in words:
        if word == "\x00" or normalise(word) in joiners:
            found.append(" ".join(current))
            current = []
        else:
            current.append(word)
    found.append(" ".join(current))
    return [part for part in found if part.strip()]


def _day(part: str, locale: str, today: date) -> date | None:
    read = _parser(locale.split("_")[0].lower(), today).get_date_data(part)
    if read.date_obj is None or read.period not in ("day", "week"):
        return None
    day: date = read.date_obj.date()
    if day < today and not re.search(r"\d{4}", part):  # a year left out: the next such date
        try:
            day = day.replace(year=day.year + 1)
        except ValueError:  # 29 February
            day = day + timedelta(days=365)
    return day


@lru_cache(maxsize=16)
def _parser(language: str, today: date) -> DateDataParser:
    return DateDataParser(
        languages=[language],
        settings={
            "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
        },
    )
