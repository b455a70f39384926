"""
A waitlisted lead's days, as the studio page writes them: the first and the last, in the
locale's date words (Babel), e.g. "5 March 2027" or "5 de marzo de 2027".
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from actors.lead.model import LeadState
from actors.lead.status import Status

__all__ = ["waitlist_shown"]


def waitlist_shown(state: LeadState, locale: str) -> tuple[str, str] | None:
    """(from, to) while the lead is WAITLISTED; None otherwise."""
    if state.status is not Status.WAITLISTED or state.waitlist is None:
        return None
    first, last, _ = state.waitlist
    return (
        format_date(date.fromisoformat(first), "long", locale=locale),
        format_date(date.fromisoformat(last), "long", locale=locale),
    )
