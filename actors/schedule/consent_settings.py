"""
STUDIO_FILE's consent keys, as the behaviour reads them (`consent: true` turns it on).

PRODUCT.md, "Tattoo studio specifics": when the lead is asked, when reminded, the
minimum age, whether a guardian may sign for a minor, the ID photo, and how long a
record is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConsentSettings"]


@dataclass(frozen=True)
class ConsentSettings:
    """The consent asked before every appointment (present: `consent: true`)."""

    ask_minutes_before: int | None = None  # None: right after booking
    reminder_minutes_before: int = 1440  # one reminder this long before the start
    minimum_age: int = 18  # on the appointment's date
    parental_consent: bool = False  # a minor may book with a parent's or guardian's consent
    id_photo: bool = False  # a photo of an ID document is asked
    retention_years: int = 3  # each record is kept until the appointment's date + this
