"""
The lead's answer to "when?" read as a wish the offered times follow. Pure.

    "next month, weekends preferably"   the days of next month, Saturdays and Sundays
    "weekday mornings"                  Monday to Friday, before 12:00
    "after the 15th"                    from the next 15th on
    "March" / "marzo"                   the days of the next March
    "flexible"                          nothing: the times are offered as always

The copy's `words.when` names the parts a date parser does not (`weekdays`, `weekends`,
`morning` before 12:00, `afternoon` 12:00-17:00, `evening` from 17:00, `after` as in
"after the 15th", `next_month` for a language whose "next month" the parser misses);
months and dates are read by dateparser in the copy's language, relative to the moment
the times are offered (it comes in on the event: the same answer reads the same way in
the same turn, every time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from dateparser.date import DateDataParser

from actors.lead.script import normalise

__all__ = ["WHEN_WORDS", "WHEN_WORDS_OPTIONAL", "TimeWish", "read_wish"]

# The copy's `words.when` keys.
WHEN_WORDS: Final = ("weekdays", "weekends", "morning", "afternoon", "evening", "after")
WHEN_WORDS_OPTIONAL: Final = ("next_month",)
_PARTS: Final[Mapping[str, tuple[int, int]]] = {
    "morning": (0, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
}
_DAYS: Final[Mapping[str, frozenset[int]]] = {
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
# Where one wish ends and another starts: "next month, weekends" / "marzo; tardes".
_PIECES = re.compile(r"[,;/.!?\n]+")


@dataclass(frozen=True)
class TimeWish:
    """Which local times suit the lead; every part None: any time (nothing named)."""

    days: frozenset[int] | None = None  # weekdays (Monday 0) that suit
    hours: tuple[int, int] | None = None  # [from, to) local hours that suit
    first: date | None = None  # the first day that suits
    last: date | None = None  # the last day that suits

    @property
    def named(self) -> bool:
        return any(part is not None for part in (self.days, self.hours, self.first, self.last))

    def fits(self, local: datetime) -> bool:
        """Whether a slot starting at `local` (the studio's wall clock) suits the lead."""
        day = local.date()
        if self.days is not None and day.weekday() not in self.days:
            return False
        if self.hours is not None and not self.hours[0] <= local.hour < self.hours[1]:
            return False
        if self.first is not None and day < self.first:
            return False
        return self.last is None or day <= self.last


def read_wish(
    text: str, when: Mapping[str, frozenset[str]], locale: str, today: datetime
) -> TimeWish:
    """The wish `text` names, in the copy's `when` words and `locale`'s language, read
    on `today` (the studio's wall clock, naive)."""
    said = f" {normalise(text)} "
    found = {key for key, words in when.items() if any(f" {w} " in said for w in words)}
    days = _union(_DAYS[k] for k in found if k in _DAYS)
    hours = [_PARTS[k] for k in found if k in _PARTS]
    first: date | None = None
    last: date | None = None
    if "next_month" in found:
        first, last = _month_of(_next_month(today.date()))
    else:
        first, last = _dates(text, when, locale, today)
    return TimeWish(
        days=days,
        hours=(min(h[0] for h in hours), max(h[1] for h in hours)) if hours else None,
        first=first,
        last=last,
    )


def _dates(
    text: str, when: Mapping[str, frozenset[str]], locale: str, today: datetime
) -> tuple[date | None, date | None]:
    """The days a month or a date in `text` names (a date, or "after" one: from it on)."""
    named = sorted(frozenset().union(*when.values()), key=len, reverse=True) if when else []
    for piece in _PIECES.split(text.casefold()):
        left = f" {normalise(piece)} "
        for phrase in named:  # "marzo por la tarde": "marzo"
            left = left.replace(f" {phrase} ", " ")
        words = left.split()
        # Leading small words ("in", "the", "el") the parser may trip on: dropped in turn.
        for start in range(min(len(words), 3)):
            phrase = " ".join(words[start:])
            if not phrase or (phrase.isdigit() and len(phrase) > 2):
                continue
            read = _parser(_language(locale), today).get_date_data(phrase)
            if read.date_obj is None:
                continue
            day = read.date_obj.date()
            if read.period == "month":
                return _month_of(day)
            if read.period == "day":
                return (_ahead(day, today.date()), None)
    return (None, None)


@lru_cache(maxsize=16)
def _parser_for(language: str, today: datetime) -> DateDataParser:
    return DateDataParser(
        languages=[language],
        settings={
            "RELATIVE_BASE": today,
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "RETURN_TIME_AS_PERIOD": False,
        },
    )


def _parser(language: str, today: datetime) -> DateDataParser:
    return _parser_for(language, today.replace(minute=0, second=0, microsecond=0))


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0].lower()


def _union(parts: Iterable[frozenset[int]]) -> frozenset[int] | None:
    found: set[int] = set()
    for part in parts:
        found |= part
    return frozenset(found) if found else None


def _ahead(day: date, today: date) -> date:
    """A day of the month already past ("the 15th" on the 24th): the next such day."""
    for _ in range(12):
        if day >= today:
            return day
        following = _next_month(day)
        try:
            day = following.replace(day=day.day)
        except ValueError:  # no 31st that month
            day = following
    return day


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, _next_month(first) - timedelta(days=1)
