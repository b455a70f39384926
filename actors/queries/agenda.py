"""
The studio page's agenda: a day, or a week (Monday to Sunday), of what fills the
artist's time, on the studio's clock and in LOCALE's words (Babel).

Each day lists, in time order, every item that touches it: booked appointments and
holds (a time picked while its deposit link lives), each with its lead; the artist's
busy times (BUSY_CALENDAR_URL: times only, never titles); and time off (with its note
and id, for Unblock). A day the studio is closed (`hours: []`) says so. An item that
runs past midnight is shown on each day it touches, cut to that day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date, format_interval, format_time

from actors.schedule import StudioFile
from storage import Database

__all__ = ["Agenda", "AgendaDay", "AgendaItem", "AgendaView"]


@dataclass(frozen=True)
class AgendaItem:
    kind: str  # appointment | hold | busy | time_off
    starts_at: datetime  # cut to the day it is shown on, on the studio's clock
    ends_at: datetime
    start_text: str  # "10:00", as LOCALE writes a time
    end_text: str  # "13:00"; "24:00" when it runs to midnight
    whole_day: bool = False
    lead_id: str | None = None  # appointments and holds: the lead's page
    who: str = ""  # the lead's name, else their number
    no_show: bool = False  # the lead did not come (marked from the lead's page)
    note: str = ""  # time off's
    time_off_id: int | None = None


@dataclass(frozen=True)
class AgendaDay:
    day: date
    iso: str  # YYYY-MM-DD, for links
    heading: str  # "Monday, 7 December", in LOCALE's words
    today: bool
    closed: bool  # the studio's hours say closed that weekday
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class AgendaView:
    view: str  # day | week
    shown: date  # the day asked for
    days: tuple[AgendaDay, ...]
    today: date
    previous: date
    next: date
    week_of: date  # the Monday of `date`'s week
    title: str  # "Monday, 7 December 2026" or "7-13 December 2026"
    zone: str  # the studio's IANA timezone


class Agenda:
    """Reads the agenda through the storage door, in one read unit."""

    def __init__(
        self, db: Database, now: Callable[[], datetime], studio: StudioFile, locale: str
    ) -> None:
        self._db, self._now, self._studio, self._locale = db, now, studio, locale

    def today(self) -> date:
        return self._now().astimezone(self._studio.timezone).date()

    async def view(self, view: str, day: date | None) -> AgendaView:
        today = self.today()
        day = day or today
        week_of = day - timedelta(days=day.weekday())
        if view == "week":
            first, count, step = week_of, 7, timedelta(days=7)
        else:
            first, count, step = day, 1, timedelta(days=1)
        starts = [self._midnight(first + timedelta(days=n)) for n in range(count + 1)]
        window = (starts[0], starts[-1])
        async with self._db.reads() as unit:
            live = await unit.agenda.live(*window)
            busy = await unit.busy.intervals(*window)
            off = await unit.time_off.overlapping(*window)
        days = []
        for n in range(count):
            begins, ends = starts[n], starts[n + 1]
            items: list[AgendaItem] = []
            for row in live:
                if row.starts_at < ends and begins < row.ends_at:
                    who = row.lead_name or (f"+{row.lead_key}" if row.lead_key.isdigit() else "")
                    items.append(
                        self._item(
                            row.kind,
                            row.starts_at,
                            row.ends_at,
                            (begins, ends),
                            lead_id=row.lead_id,
                            who=who or row.lead_key,
                            no_show=row.status == "NO_SHOW",
                        )
                    )
            for b_start, b_end in busy:
                if b_start < ends and begins < b_end:
                    items.append(self._item("busy", b_start, b_end, (begins, ends)))
            for t in off:
                if t.starts_at < ends and begins < t.ends_at:
                    items.append(
                        self._item(
                            "time_off",
                            t.starts_at,
                            t.ends_at,
                            (begins, ends),
                            note=t.note,
                            time_off_id=t.id,
                        )
                    )
            items.sort(key=lambda i: (i.starts_at, i.ends_at, i.kind))
            shown = first + timedelta(days=n)
            days.append(
                AgendaDay(
                    shown,
                    shown.isoformat(),
                    format_date(shown, "EEEE d MMMM", locale=self._locale),
                    shown == today,
                    not self._studio.hours.get(shown.weekday()),
                    tuple(items),
                )
            )
        return AgendaView(
            view="week" if view == "week" else "day",
            shown=day,
            days=tuple(days),
            today=today,
            previous=first - step,
            next=first + step,
            week_of=week_of,
            title=self._title(view, day, week_of),
            zone=getattr(self._studio.timezone, "key", str(self._studio.timezone)),
        )

    def _title(self, view: str, day: date, week_of: date) -> str:
        if view != "week":
            return format_date(day, "full", locale=self._locale)
        last = week_of + timedelta(days=6)
        return str(format_interval(week_of, last, "yMMMMd", locale=self._locale))

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0, 0), self._studio.timezone).astimezone(UTC)

    def _item(
        self,
        kind: str,
        start: datetime,
        end: datetime,
        day: tuple[datetime, datetime],
        *,
        lead_id: str | None = None,
        who: str = "",
        no_show: bool = False,
        note: str = "",
        time_off_id: int | None = None,
    ) -> AgendaItem:
        """The item as `day` shows it: cut to the day, its times as LOCALE writes them."""
        zone, (day_starts, day_ends) = self._studio.timezone, day
        shown_start = max(start, day_starts).astimezone(zone)
        shown_end = min(end, day_ends).astimezone(zone)
        end_text = (
            "24:00"
            if end >= day_ends
            else format_time(shown_end, "short", tzinfo=zone, locale=self._locale)
        )
        return AgendaItem(
            kind,
            shown_start,
            shown_end,
            format_time(shown_start, "short", tzinfo=zone, locale=self._locale),
            end_text,
            whole_day=start <= day_starts and end >= day_ends,
            lead_id=lead_id,
            who=who,
            no_show=no_show,
            note=note,
            time_off_id=time_off_id,
        )
