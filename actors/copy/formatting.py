"""
Money, dates and times as the locale writes them (Babel's CLDR data), for the copy.

    format_money(5000, "gbp", "en_GB")    -> "£50.00"
    format_money(5000, "eur", "es_ES")    -> "50,00\u00a0€" (a no-break space, as CLDR
                                             writes it: the amount never wraps apart)
    format_when(moment, "Europe/Madrid", "es_ES") -> "jueves, 4 de diciembre, 14:00"
    format_day(moment, "Europe/London", "en_GB")  -> "Thursday 4 December"
    format_slot(moment, "Europe/Madrid", "es_ES") -> "jue, 4 dic, 14:00" (a list row's
                                             title: WhatsApp cuts those at 24 characters)

The currency is the deposit's, whatever the locale: a Spanish copy of a deposit in
pounds says "50,00 GBP", never euros. A moment is always shown in the studio's
timezone, so the lead reads the time on the studio's wall clock. Pure functions: the
same arguments always give the same words.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, match_skeleton
from babel.numbers import format_currency, get_currency_precision

__all__ = ["format_day", "format_money", "format_slot", "format_when"]

# CLDR's skeletons for "weekday, day and month" (no year: appointments are weeks away),
# in full for texts and abbreviated for a list row's title.
_DAY_SKELETON = "MMMMEEEEd"
_SHORT_DAY_SKELETON = "MMMEd"
_SHORT_WEEKDAY = re.compile(r"(?<!E)E{1,3}(?!E)")


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """An amount in the currency's minor unit (pence, cents; yen have none), as written."""
    code = currency.upper()
    amount = Decimal(amount_minor).scaleb(-get_currency_precision(code))
    return str(format_currency(amount, code, locale=locale))


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


def _with_time(moment: datetime, timezone: tzinfo | str, locale: str, day_pattern: str) -> str:
    local = _local(moment, timezone)
    day = format_datetime(local, day_pattern, locale=locale)
    time = format_datetime(local, _time_pattern(locale), locale=locale)
    return _combine_pattern(locale).replace("{1}", day).replace("{0}", time)


def _local(moment: datetime, timezone: tzinfo | str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment must be timezone-aware")
    return moment.astimezone(ZoneInfo(timezone) if isinstance(timezone, str) else timezone)


@cache
def _day_pattern(locale: str) -> str:
    """The locale's own order for weekday, day and month, the weekday in full.

    CLDR often lists only the abbreviated weekday for this skeleton ("E, d 'de' MMMM");
    we widen it outside quoted literals.
    """
    skeletons = Locale.parse(locale).datetime_skeletons
    found = match_skeleton(_DAY_SKELETON, skeletons)
    if found is None:
        return "EEEE d MMMM"
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
def _time_pattern(locale: str) -> str:
    return str(Locale.parse(locale).time_formats["short"].pattern)


@cache
def _combine_pattern(locale: str) -> str:
    """How the locale joins a date and a time ("{1}, {0}" in en_GB and es_ES)."""
    return str(Locale.parse(locale).datetime_formats["medium"])
