"""
The artist's calendar feed as a service: its address's key, its rotation, and the feed
itself for whoever presents the key.

Each event names the lead as every message to the artist does (name, number, or what
stands for a number), with the idea (the answer to the first question) and the lead's
studio page, and is placed at the studio's address (STUDIO_FILE's `address`).

The key is STUDIO_CALENDAR_KEY when set (rotate it by changing the variable); else one
made the first time the address is asked for and kept in the database, so every
replica serves the same address, and `rotate()` replaces it (the old address stops
working at once; the artist subscribes again with the new one). A presented key is
compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers

from actors.copy import Composer
from actors.lead import Answer, latest_answers, state_from_json
from actors.lead.artist_side import who
from actors.money import Money
from actors.providers.calendars.files import CalendarAppointment, calendar_feed
from storage import BookedRow, Database

__all__ = ["BusyCalendarShown", "CalendarFeed", "FeedAddress", "KeyFromSettings", "KeySource"]

_USUAL = Money(5000, "GBP")  # the settings' default deposit
_HELD = frozenset({"paid", "refund_requested", "refunded"})  # a deposit Stripe took

PAST = timedelta(days=90)  # how far back the feed keeps appointments that took place


class KeySource(StrEnum):
    SETTING = "setting"  # STUDIO_CALENDAR_KEY
    DATABASE = "database"


@dataclass(frozen=True)
class BusyCalendarShown:
    """How the artist's own calendar (BUSY_CALENDAR_URL) was last read, for the page."""

    refreshed_at: datetime | None  # the copy in use; None: never read yet
    intervals: int  # busy times kept from it
    skipped: int  # properties, events or zones that could not be read
    failing_since: datetime | None  # fetches failing since then; the copy is kept
    failure: str | None  # why, in words that never carry the address


@dataclass(frozen=True)
class FeedAddress:
    key: str
    source: KeySource
    rotated_at: datetime | None  # None: the key comes from the environment


class KeyFromSettings(Exception):
    """The key is STUDIO_CALENDAR_KEY: rotating it means changing that variable."""


def _new_key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CalendarFeed:
    db: Database
    composer: Composer
    configured_key: str | None  # STUDIO_CALENDAR_KEY; None: the key kept in the database
    timezone: str  # the studio's: how the file writes the times
    now: Callable[[], datetime]  # the service's clock
    new_key: Callable[[], str] = _new_key
    location: str | None = None  # STUDIO_FILE's `address`: each event's LOCATION
    base_url: str | None = None  # PUBLIC_BASE_URL: each event links the lead's page
    busy_calendar: bool = False  # BUSY_CALENDAR_URL is set: its state is worth showing
    deposit: Money = _USUAL  # the usual deposit: its currency is every amount's
    locale: str = "en_GB"  # LOCALE: how money is written

    def _deposit_paid(self, row: BookedRow, earlier: int = 0) -> str | None:
        """What the lead paid, in the copy's words, and for a piece its session ("session
        2 of 3") and, on the last, the balance (less `earlier`: the piece's earlier
        sessions' own deposits); None when nothing was paid."""
        if row.deposit not in _HELD:
            return None
        usual = self.deposit
        paid = Money(row.paid_amount or row.deposit_amount or usual.minor, usual.currency)
        lines = [self.composer.plain("calendar_deposit_paid", {"amount": paid.format(self.locale)})]
        if row.sessions > 1:
            number = max(row.session_number, 1)
            said = {"session": str(number), "sessions": str(row.sessions)}
            lines.append(self.composer.plain("calendar_session", said))
            if number == row.sessions and row.quote is not None:
                due = Money(max(row.quote - paid.minor - earlier, 0), usual.currency)
                written = {"balance": due.format(self.locale)}
                lines.append(self.composer.plain("calendar_balance", written))
        return "\n".join(lines)

    async def address(self) -> FeedAddress:
        """The feed's current key (made and kept on first use when none is configured)."""
        if self.configured_key is not None:
            return FeedAddress(self.configured_key, KeySource.SETTING, None)
        async with self.db.records() as unit:
            key, made_at = await unit.feed_keys.keep_first(self.new_key(), self.now())
            await unit.commit()
        return FeedAddress(key, KeySource.DATABASE, made_at)

    async def rotate(self) -> FeedAddress:
        """A new key; the old address answers 404 from now on."""
        if self.configured_key is not None:
            raise KeyFromSettings("the feed's key is STUDIO_CALENDAR_KEY")
        async with self.db.records() as unit:
            key, made_at = await unit.feed_keys.rotate(self.new_key(), self.now())
            await unit.commit()
        return FeedAddress(key, KeySource.DATABASE, made_at)

    async def busy_state(self) -> BusyCalendarShown | None:
        """How the artist's own calendar was last read; None without BUSY_CALENDAR_URL."""
        if not self.busy_calendar:
            return None
        async with self.db.reads() as unit:
            status = await unit.busy.status()
        return BusyCalendarShown(
            status.refreshed_at,
            status.intervals,
            status.skipped,
            status.failing_since,
            status.failure,
        )

    async def feed(self, presented: str) -> bytes | None:
        """The feed (iCalendar bytes) for the right key; None for any other."""
        now = self.now()
        async with self.db.reads() as unit:
            expected = self.configured_key
            if expected is None:
                kept = await unit.feed_keys.current()
                expected = kept[0] if kept is not None else None
            if expected is None or not hmac.compare_digest(presented.encode(), expected.encode()):
                return None
            booked = await unit.booked.since(now - PAST)
        appointments = [self._appointment(row) for row in booked]
        return calendar_feed(
            appointments,
            self.composer.plain("calendar_name"),
            self.timezone,
            # The copy's title with {name} left for each appointment's own.
            title=self.composer.plain("calendar_appointment", {"name": "{name}"}),
            stamped_at=now,
            location=self.location,
        )

    def _appointment(self, row: BookedRow) -> CalendarAppointment:
        """The event: who the lead is, what they asked for, and their page."""
        url = f"{self.base_url.rstrip('/')}/studio/leads/{row.lead_id}" if self.base_url else None
        try:
            state = state_from_json(dict(row.lead_state))
        except (KeyError, TypeError, ValueError):  # a state this version cannot read
            state = None
        lines: list[str] = []
        if state is not None:
            lines.append(_international(who(state)["number"]))
            idea = self._idea(state.answers)
            if idea:
                lines.append(idea)
        if url:
            lines.append(url)
        return CalendarAppointment(
            row.id,
            row.lead_id,
            row.lead_name,
            row.starts_at,
            row.ends_at,
            details="\n".join(lines) or None,
            url=url,
            deposit_paid=self._deposit_paid(row, state.earlier_paid if state else 0),
        )

    def _idea(self, answers: Sequence[Answer]) -> str | None:
        """The latest answer to the first question (the idea, in the shipped copies)."""
        first = next(iter(self.composer.question_labels()), None)
        answer = latest_answers(answers).get(first) if first else None
        return None if answer is None else self.composer.answer_value(answer.question, answer.value)


def _international(number: str) -> str:
    """A phone number as people write it internationally ("+44 7700 900123"); anything
    else that names the lead (a username) as it is."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
