"""The waitlist's days, read as the locale writes dates (en_GB, es_ES)."""

from __future__ import annotations

from datetime import date

import pytest

from actors.lead.waitlist import DayRange, read_range

TODAY = date(2026, 12, 7)
HORIZON = date(2027, 2, 4)
EN = frozenset({"to", "until", "till"})
ES = frozenset({"a", "al", "hasta"})


@pytest.mark.parametrize(
    ("said", "joiners", "locale", "first", "last"),
    [
        ("14 December to 20 December", EN, "en_GB", "2026-12-14", "2026-12-20"),
        ("15/12 - 20/12", EN, "en_GB", "2026-12-15", "2026-12-20"),
        ("2026-12-10 to 2026-12-20", EN, "en_GB", "2026-12-10", "2026-12-20"),
        ("2026-12-10", EN, "en_GB", "2026-12-10", "2026-12-10"),  # one date: that day
        ("28 December until 3 January", EN, "en_GB", "2026-12-28", "2027-01-03"),
        ("20 January to 20 March", EN, "en_GB", "2027-01-20", "2027-02-04"),  # the horizon
        ("15 diciembre a 20 diciembre", ES, "es_ES", "2026-12-15", "2026-12-20"),
        ("15/12 - 20/12", ES, "es_ES", "2026-12-15", "2026-12-20"),
    ],
)
def test_a_range_of_days_is_read(
    said: str, joiners: frozenset[str], locale: str, first: str, last: str
) -> None:
    found = read_range(said, joiners, locale, TODAY, HORIZON)
    assert found == DayRange(date.fromisoformat(first), date.fromisoformat(last))


@pytest.mark.parametrize(
    "said", ["Only evenings after 6, any day", "hello", "2026-11-01 to 2026-11-05"]
)
def test_words_that_are_no_range_or_only_past_days_are_none(said: str) -> None:
    assert read_range(said, EN, "en_GB", TODAY, HORIZON) is None
