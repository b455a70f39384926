"""
Money, dates and times as the locale writes them (Babel's CLDR data), for the copy.

    format_money(5000, "gbp", "en_GB")    -> "£50.00"
    format_money(5000, "eur", "es_ES")    -> "50,00\u00a0€" (a no-break space, as CLDR
                                             writes it: the amount never wraps apart)
    format_when(moment, "Europe/Madrid", "es_ES") -> "jueves, 4 de diciembre, 14:00"
    format_day(moment, "Europe/London", "en_GB")  -> "Thursday 4 December"
    format_slot(moment, "Europe/Madrid", "es_ES") -> "jue, 4 dic, 14:00" (a list row's
                                             title: WhatsApp cuts those at 24 characters)
    format_moment(moment, "Europe/Madrid", "es_ES") -> "4 dic, 14:00" (a message's or an
                                             event's time stamp on the studio page)
    format_span(start, end, "Europe/Madrid", "es_ES")
        -> "jueves, 4 de diciembre de 2025, 14:00\u201316:00" (an appointment, year and all)

The currency is the deposit's, whatever the locale: a Spanish copy of a deposit in
pounds says "50,00 GBP", never euros. A moment is always shown in the studio's
timezone, so the lead reads the time on the studio's wall clock. Pure functions: the
same arguments always give the same words.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_interval, match_skeleton

from actors.money import Money

__all__ = [
    "format_day",
    "format_moment",
    "format_money",
    "format_slot",
    "format_span",
    "format_when",
]

# CLDR's skeletons for "weekday, day and month" (no year: appointments are weeks away),
# in full for texts and abbreviated for a list row's title; with the year for a record
# that stays (the studio page's appointment); day and month alone for a time stamp.
_DAY_SKELETON = "MMMMEEEEd"
_SHORT_DAY_SKELETON = "MMMEd"
_YEAR_DAY_SKELETON = "yMMMMEEEEd"
_STAMP_SKELETON = "MMMd"
_SHORT_WEEKDAY = re.compile(r"(?<!E)E{1,3}(?!E)")
_QUOTED = re.compile(r"'[^']*'")


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """An amount in the currency's minor unit (pence, cents; yen have none), as written."""
    return Money(amount_minor, currency).format(locale)


def format_when(moment: datetime, timezone: tzinfo | str, locale: str) -> str:
    """The weekday, date and time of an aware `moment` on the studio's clock ("{when}")."""
    return _with_time(moment, timezone, locale, _day_pattern(locale))


def format_slot(moment: datetime, timezone: tzinfo | str, locale: str) -> str:
    """The short form for a free slot's list row: abbreviated weekday and month, so it
    fits WhatsApp's 24 characters in every locale ("Thu 4 Dec, 14:00")."""
    return _with_time(moment, timezone, locale, _short_day_pattern(locale))


def format_day(moment: datetime, timezone: tzinfo | str, locale: str) -> str:
    """The weekday and date alone (for a day's heading or an all-day note)."""
    return str(format_datetime(_local(moment, timezone), _day_pattern(locale), locale=locale))


def format_moment(
    moment: datetime, timezone: tzinfo | str, locale: str, *, seconds: bool = False
) -> str:
    """A time stamp in a list of many (a message, an event, a link's expiry): the day,
    the abbreviated month and the time, short enough for a phone's line ("4 Dec, 14:00").

    `seconds` adds them, for events that can come within one minute of each other.
    """
    return _with_time(moment, timezone, locale, _stamp_pattern(locale), seconds=seconds)


def format_span(start: datetime, end: datetime, timezone: tzinfo | str, locale: str) -> str:
    """An appointment from `start` to `end`, with its year: the artist's page keeps past
    ones too ("Thursday, 4 December 2025, 14:00\u201316:00"). A session that runs past
    midnight on the studio's clock names both days."""
    first, last = _local(start, timezone), _local(end, timezone)
    if first.date() != last.date():
        starts, ends = (
            _with_time(t, timezone, locale, _year_day_pattern(locale)) for t in (first, last)
        )
        return _interval_fallback(locale).replace("{0}", starts).replace("{1}", ends)
    day = format_datetime(first, _year_day_pattern(locale), locale=locale)
    hours = "hm" if _twelve_hours(locale) else "Hm"
    times = format_interval(first, last, hours, tzinfo=first.tzinfo, locale=locale)
    return _combine_pattern(locale).replace("{1}", day).replace("{0}", str(times))


def _with_time(
    moment: datetime,
    timezone: tzinfo | str,
    locale: str,
    day_pattern: str,
    *,
    seconds: bool = False,
) -> str:
    local = _local(moment, timezone)
    day = format_datetime(local, day_pattern, locale=locale)
    time = format_datetime(local, _time_pattern(locale, seconds=seconds), locale=locale)
    return _combine_pattern(locale).replace("{1}", day).replace("{0}", time)


def _local(moment: datetime, timezone: tzinfo | str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment must be timezone-aware")
    return moment.astimezone(ZoneInfo(timezone) if isinstance(timezone, str) else timezone)


@cache
def _day_pattern(locale: str) -> str:
    """The locale's own order for weekday, day and month, the weekday in full."""
    return _full_weekday(locale, _DAY_SKELETON, "EEEE d MMMM")


@cache
def _year_day_pattern(locale: str) -> str:
    """The locale's own order for weekday, day, month and year, the weekday in full."""
    return _full_weekday(locale, _YEAR_DAY_SKELETON, "EEEE d MMMM y")


def _full_weekday(locale: str, skeleton: str, fallback: str) -> str:
    """The locale's pattern for `skeleton`, its weekday written in full.

    CLDR often lists only the abbreviated weekday for these skeletons ("E, d 'de' MMMM");
    we widen it outside quoted literals.
    """
    skeletons = Locale.parse(locale).datetime_skeletons
    found = match_skeleton(skeleton, skeletons)
    if found is None:
        return fallback
    parts = str(skeletons[found].pattern).split("'")
    return "'".join(
        _SHORT_WEEKDAY.sub("EEEE", part) if i % 2 == 0 else part for i, part in enumerate(parts)
    )


@cache
def _short_day_pattern(locale: str) -> str:
    """The locale's own order for the abbreviated weekday, day and month."""
    skeletons = Locale.parse(locale).datetime_skeletons
    found = match_skeleton(_SHORT_DAY_SKELETON, skeletons)
    return "E d MMM" if found is None else str(skeletons[found].pattern)


@cache
def _stamp_pattern(locale: str) -> str:
    """The locale's own order for the day and the abbreviated month ("d MMM", "MMM d")."""
    skeletons = Locale.parse(locale).datetime_skeletons
    found = match_skeleton(_STAMP_SKELETON, skeletons)
    return "d MMM" if found is None else str(skeletons[found].pattern)


@cache
def _time_pattern(locale: str, *, seconds: bool = False) -> str:
    """Hours and minutes ("HH:mm", "H:mm", "h:mm a"); with `seconds`, CLDR's medium time."""
    return str(Locale.parse(locale).time_formats["medium" if seconds else "short"].pattern)


@cache
def _twelve_hours(locale: str) -> bool:
    """Whether the locale's clock has 12 hours (h, K) outside quoted literals ("HH 'h' mm")."""
    return any(letter in "hK" for letter in _QUOTED.sub("", _time_pattern(locale)))


@cache
def _interval_fallback(locale: str) -> str:
    """How the locale writes "from {0} to {1}" when no closer form fits: CLDR's "{0} to
    {1}" pattern, an en dash between thin spaces in en_GB and es_ES."""
    return str(Locale.parse(locale).interval_formats.get(None) or "{0}\u2009\u2013\u2009{1}")


@cache
def _combine_pattern(locale: str) -> str:
    """How the locale joins a date and a time ("{1}, {0}" in en_GB and es_ES)."""
    return str(Locale.parse(locale).datetime_formats["medium"])
