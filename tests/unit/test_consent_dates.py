"""A date of birth as people write it, in the copy's locale (`read_date_of_birth`)."""

from __future__ import annotations

from datetime import date

import pytest

from actors.lead.consent import read_date_of_birth

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("21/03/1990", "en_GB", date(1990, 3, 21)),
        ("21.03.1990", "es_ES", date(1990, 3, 21)),
        ("1990-03-21", "en_GB", date(1990, 3, 21)),
        ("21 March 1990", "en_GB", date(1990, 3, 21)),
        ("March 21, 1990", "en_GB", date(1990, 3, 21)),
        ("21 Mar 1990", "en_GB", date(1990, 3, 21)),
        ("21 de marzo de 1990", "es_ES", date(1990, 3, 21)),
        ("3/4/2005", "en_GB", date(2005, 4, 3)),  # day first, as the British write it
        ("31/02/2001", "en_GB", None),  # no such day
        ("01/01/2030", "en_GB", None),  # in the future
        ("01/01/1890", "en_GB", None),  # over 120 years ago
        ("my birthday", "en_GB", None),
        ("", "en_GB", None),
    ],
)
def test_a_date_of_birth_is_read_as_written(text: str, locale: str, expected: date | None) -> None:
    assert read_date_of_birth(text, locale, TODAY) == expected
